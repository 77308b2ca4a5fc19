import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WRANGLER_BIN = fileURLToPath(new URL('../../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/**
 * Runs wrangler with the Node that runs this script (the project's Node 22 from node_modules),
 * and returns its exit status and standard output; standard error passes through.
 */
export function wrangler(args, { capture = false, input } = {}) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args], {
    stdio: [input === undefined ? 'inherit' : 'pipe', capture ? 'pipe' : 'inherit', 'inherit'],
    input,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout ?? '' };
}

/** Prints the message on standard error and exits 1: how every operator CLI gives up. */
export function fail(message) {
  console.error(message);
  process.exit(1);
}

/** Wrangler may print banners around JSON output; take the JSON value alone. */
export function parseJsonOutput(text) {
  const start = text.search(/[[{]/);
  if (start < 0) fail('wrangler returned no JSON.');
  return JSON.parse(text.slice(start));
}
