import { afterAll, expect } from 'vitest';

/**
 * Every console line written during a test file, and every secret the tests handed to the API.
 * The setup file checks, after each file, that no line contains any of those secrets.
 */
const lines: string[] = [];
const secrets = new Set<string>();

/** Secrets shorter than this could match ordinary log text by chance. */
const MIN_SECRET_LENGTH = 8;

export function rememberSecret<T extends string>(secret: T): T {
  if (secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
  return secret;
}

export function watchConsoleForSecrets(): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
      original(...args);
    };
  }
  afterAll(expectNoSecretLogged);
}

/**
 * Checks the console lines written so far against the secrets handed out so far, then forgets both:
 * a long test whose parts share nothing (the adversarial model's runs) checks after each part, so the
 * check stays linear in the run's length.
 */
export function expectNoSecretLogged(): void {
  const output = lines.join('\n');
  const leaked = [...secrets].filter((secret) => output.includes(secret));
  lines.length = 0;
  secrets.clear();
  expect(leaked, 'secrets found in console output').toEqual([]);
}
