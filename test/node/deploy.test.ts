import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { answersFromText, checkAnswers, planSecrets, WORKER_SECRETS } from '../../scripts/lib/deploy-secrets';

const PEPPER = 'a-pepper-of-at-least-thirty-two-characters-0001';
const OLD_PEPPER = 'a-pepper-of-at-least-thirty-two-characters-0000';

/** `npm run deploy -- <args>` as an operator runs it, with the project's Node. */
function deploy(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', './scripts/lib/resolve-ts.mjs', 'scripts/deploy.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run deploy: the secrets it asks for', () => {
  const none = new Set<string>();
  const withPepper = new Set(['PASSWORD_PEPPER', 'TOKEN_SIGNING_KEY']);

  it('should ask for a pepper and a token signing key while the Worker has neither', () => {
    expect(planSecrets(none, new Set()).questions.map((q) => q.name)).toEqual(['PASSWORD_PEPPER', 'TOKEN_SIGNING_KEY']);
  });

  it('should keep the secrets the Worker has, asking nothing', () => {
    const plan = planSecrets(withPepper, new Set());

    expect(plan.questions).toEqual([]);
    expect(plan.notes).toEqual(['PASSWORD_PEPPER: the Worker has it; kept.', 'TOKEN_SIGNING_KEY: the Worker has it; kept.']);
  });

  it('should deploy without a pepper only when told --no-pepper, and never without a token signing key', () => {
    expect(planSecrets(none, new Set(['--no-pepper'])).questions.map((q) => q.name)).toEqual(['TOKEN_SIGNING_KEY']);
  });

  it('should ask for the new token signing key and the one it replaces on --rotate-token-key', () => {
    const plan = planSecrets(withPepper, new Set(['--rotate-token-key']));

    expect(plan.questions.map((q) => q.name)).toEqual(['TOKEN_SIGNING_KEY', 'TOKEN_SIGNING_KEY_PREVIOUS']);
    expect(plan.problems).toEqual([]);
  });

  it('should ask for the new pepper and the one it replaces on --rotate-pepper', () => {
    const plan = planSecrets(withPepper, new Set(['--rotate-pepper']));

    expect(plan.questions.map((q) => q.name)).toEqual(['PASSWORD_PEPPER', 'PASSWORD_PEPPER_PREVIOUS']);
    expect(plan.problems).toEqual([]);
  });

  it.each([
    ['a Worker without a pepper', none, ['--rotate-pepper']],
    ['contradicting flags', withPepper, ['--rotate-pepper', '--no-pepper']],
  ])('should refuse a rotation of %s', (_case, existing, flags) => {
    expect(planSecrets(existing, new Set(flags)).problems).toHaveLength(1);
  });

  it('should read one value a line from a piped standard input', () => {
    const questions = planSecrets(withPepper, new Set(['--rotate-pepper'])).questions;

    expect(answersFromText(questions, `${PEPPER}\r\n${OLD_PEPPER}\n`)).toEqual({ PASSWORD_PEPPER: PEPPER, PASSWORD_PEPPER_PREVIOUS: OLD_PEPPER });
  });

  it('should refuse a missing, short or unchanged pepper, never showing a value', () => {
    const [pepper] = planSecrets(none, new Set()).questions;
    const rotation = planSecrets(withPepper, new Set(['--rotate-pepper'])).questions;

    expect(checkAnswers([pepper], { PASSWORD_PEPPER: '' })).toEqual(['PASSWORD_PEPPER was not given.']);
    expect(checkAnswers([pepper], { PASSWORD_PEPPER: 'short' })).toEqual(['PASSWORD_PEPPER is shorter than 32 characters.']);
    const same = checkAnswers(rotation, { PASSWORD_PEPPER: PEPPER, PASSWORD_PEPPER_PREVIOUS: PEPPER });
    expect(same).toEqual(['Two of the secrets given are equal: a rotation needs a new value.']);
    expect(checkAnswers([pepper], { PASSWORD_PEPPER: PEPPER })).toEqual([]);
  });

  it('should be a list others can add a secret to', () => {
    expect(WORKER_SECRETS.map((secret) => secret.name)).toEqual(['PASSWORD_PEPPER', 'TOKEN_SIGNING_KEY']);
  });
});

describe('npm run deploy -- --dry-run', () => {
  it.each([
    ['production', [], ['d1 create storegister-tenants\n', 'queues create storegister-events\n', 'deploy --env= --secrets-file']],
    ['staging', ['--env', 'staging'], ['d1 create storegister-tenants-staging', 'queues create storegister-events-staging-dead', 'deploy --env=staging --secrets-file']],
  ])('should print the commands for %s and run none', (_env, args, expected) => {
    const { status, output } = deploy(['--dry-run', ...args]);

    expect(status, output).toBe(0);
    for (const text of expected) expect(output).toContain(text);
    expect(output).toContain('would read PASSWORD_PEPPER');
  });

  it('should refuse an environment wrangler.toml does not define', () => {
    expect(deploy(['--dry-run', '--env', 'nowhere']).status).toBe(1);
  });

  it('should refuse a pepper in its environment, without echoing it', () => {
    const { status, output } = deploy(['--dry-run'], { PASSWORD_PEPPER: PEPPER });

    expect(status).toBe(1);
    expect(output).toContain('PASSWORD_PEPPER is set in the environment');
    expect(output).not.toContain(PEPPER);
  });
});
