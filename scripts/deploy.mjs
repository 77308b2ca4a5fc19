// npm run deploy [-- --env staging] [--dry-run] [--no-pepper] [--rotate-pepper] [--rotate-token-key] [--url <deployed URL>]
// The documented path to Cloudflare (docs/deploying.md), one wrangler command per step, for one
// environment of wrangler.toml: production (the top level, the default) or staging.
//   1. `wrangler whoami`: you are logged in (`npx wrangler login`) or CLOUDFLARE_API_TOKEN is set.
//   2. While the environment's section of wrangler.toml still holds placeholder ids: `wrangler d1 create`
//      (in STORAGE_REGION, if set) and `wrangler kv namespace create`; the printed ids are written there.
//   3. `wrangler queues create` for each queue of the environment that `wrangler queues info` does not find.
//   4. `wrangler d1 migrations apply DB --remote`.
//   5. The Worker secrets (scripts/lib/deploy-secrets.ts): those the Worker lacks, or those rotated, are
//      read from a hidden prompt or standard input, one line each, never from argv or the environment.
//   6. `wrangler deploy`, with those secrets in a file only this user can read, deleted at once.
//   7. The smoke test (scripts/lib/smoke-test.ts) against the deployed URL.
// `--dry-run` prints the commands and runs none of them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_readConfig } from 'wrangler';
import { checkAnswers, planSecrets, readAnswers, secretNames } from './lib/deploy-secrets.ts';
import { smokeTest } from './lib/smoke-test.ts';
import { fail, wrangler } from './lib/wrangler.mjs';

const CONFIG_PATH = fileURLToPath(new URL('../wrangler.toml', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const D1_PLACEHOLDER = /^database_id = "00000000-0000-0000-0000-000000000000"$/m;
const KV_PLACEHOLDER = /^id = "00000000000000000000000000000000"$/m;
// wrangler prints the snippet to add in the config file's own format: TOML here.
const D1_ID_IN_OUTPUT = /^\s*database_id\s*=\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/im;
const KV_ID_IN_OUTPUT = /^\s*id\s*=\s*"([0-9a-f]{32})"/im;
const WORKERS_DEV_URL = /https:\/\/[a-z0-9.-]+\.workers\.dev\b/i;
const SMOKE_TRIES = 6;
const SMOKE_WAIT_MS = 5_000;

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined && !args[i + 1].startsWith('--') ? args[i + 1] : undefined;
};
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const dryRun = flags.has('--dry-run');
const environment = option('--env') ?? 'production';
// Production is the top level of wrangler.toml: `--env=` targets it (and keeps wrangler from warning).
const envArg = `--env=${environment === 'production' ? '' : environment}`;
const label = environment === 'production' ? 'production (the top level of wrangler.toml)' : `[env.${environment}]`;

/**
 * Prints a wrangler command as you would type it, then runs it unless this is a dry run. The secrets'
 * names are removed from wrangler's environment: a value there would override the file deploy passes.
 */
function step(commandArgs, { capture = false, input } = {}) {
  console.log(`\n$ npx wrangler ${commandArgs.join(' ')}`);
  if (dryRun) return { status: 0, stdout: '' };
  return wrangler(commandArgs, { capture, input });
}

function readConfigText() {
  return readFileSync(CONFIG_PATH, 'utf8');
}

/** Where the environment's section is in wrangler.toml's text: the top level ends at the first [env.*]. */
function sectionRange(text) {
  const envHeader = /^\[{1,2}env\.([A-Za-z0-9_-]+)[.\]]/gm;
  const headers = [...text.matchAll(envHeader)].map((match) => ({ at: match.index, name: match[1] }));
  if (environment === 'production') return [0, headers[0]?.at ?? text.length];
  const start = headers.find((header) => header.name === environment)?.at;
  if (start === undefined) fail(`wrangler.toml has no [env.${environment}] section.`);
  const end = headers.find((header) => header.at > start && header.name !== environment)?.at ?? text.length;
  return [start, end];
}

/** Replaces the first match of `pattern` within the environment's section. */
function replaceInSection(text, pattern, replacement) {
  const [start, end] = sectionRange(text);
  return text.slice(0, start) + text.slice(start, end).replace(pattern, replacement) + text.slice(end);
}

const hasPlaceholder = (pattern) => {
  const text = readConfigText();
  const [start, end] = sectionRange(text);
  return pattern.test(text.slice(start, end));
};

/** Creates a resource whose id is still the placeholder, and writes the id wrangler printed into the section. */
function createIfPlaceholder({ what, placeholder, commandArgs, idPattern, replacement }) {
  if (!hasPlaceholder(placeholder)) {
    console.log(`\n${what}: wrangler.toml already holds its id for ${environment}; nothing to create.`);
    return;
  }
  // Captured output and a piped stdin keep wrangler non-interactive; for a TOML config it only prints
  // a snippet with the new id, and this script writes the id.
  const result = step(commandArgs, { capture: true, input: '' });
  if (dryRun) {
    console.log(`  (would write the printed id into ${what} of ${label} in wrangler.toml)`);
    return;
  }
  process.stdout.write(result.stdout);
  if (result.status !== 0) {
    fail(`Creating ${what} failed (exit ${result.status}). If it already exists, put its id into wrangler.toml and run again.`);
  }
  const id = idPattern.exec(result.stdout)?.[1];
  if (!id) fail(`Could not find the new id in wrangler's output above. Put it into ${what} in wrangler.toml and run again.`);
  writeFileSync(CONFIG_PATH, replaceInSection(readConfigText(), placeholder, replacement(id)));
  console.log(`Wrote id ${id} into ${what} of ${label} in wrangler.toml. Commit that change.`);
}

/** The names of the secrets the deployed Worker has; none when it does not exist yet. */
function existingSecrets() {
  const listed = step(['secret', 'list', '--format', 'json', envArg], { capture: true });
  if (dryRun || listed.status !== 0) return new Set();
  try {
    return new Set(JSON.parse(listed.stdout.slice(listed.stdout.indexOf('['))).map((secret) => secret.name));
  } catch {
    return new Set();
  }
}

/** Asks for the secrets to set; returns them, or exits when the deploy must not go on. */
async function secretsToSet() {
  const leaked = secretNames().filter((name) => process.env[name] !== undefined);
  if (leaked.length > 0) {
    fail(
      `${leaked.join(', ')} is set in the environment. deploy never reads a secret from there (it stays in shell history ` +
        'and process listings): unset it, then type the value at the prompt or pipe it on standard input.',
    );
  }
  // A dry run lists nothing: it shows what a rotation asks for as if the Worker had every secret.
  const existing = dryRun && [...flags].some((flag) => flag.startsWith('--rotate-')) ? new Set(secretNames()) : existingSecrets();
  const plan = planSecrets(existing, flags);
  for (const note of plan.notes) console.log(note);
  if (plan.problems.length > 0) fail(plan.problems.join('\n'));
  if (dryRun) {
    for (const question of plan.questions) console.log(`  (would read ${question.name} from a hidden prompt or standard input, unless the Worker has it)`);
    return Object.fromEntries(plan.questions.map((question) => [question.name, '(read at deploy)']));
  }
  const values = await readAnswers(plan.questions);
  const problems = checkAnswers(plan.questions, values);
  if (problems.length > 0) {
    const optOuts = plan.questions.some((question) => question.name === 'PASSWORD_PEPPER') ? ' (or deploy with --no-pepper)' : '';
    fail(`${problems.join('\n')}\nNothing was deployed. Give each secret on its own line${optOuts}.`);
  }
  return values;
}

/** Runs `wrangler deploy`, the secrets going along in a file readable only by this user and deleted at once. */
function deploy(secrets) {
  const names = Object.keys(secrets);
  if (names.length === 0) return step(['deploy', envArg], { capture: true });
  const dir = mkdtempSync(join(tmpdir(), 'deploy-secrets-'));
  try {
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    console.log(`\nSetting ${names.join(', ')} with the deploy.`);
    return step(['deploy', envArg, '--secrets-file', file], { capture: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function smoke(url) {
  console.log(`\nSmoke test of ${url}: GET /healthz, then a request without a key, which must answer 401.`);
  let problems = [];
  for (let attempt = 1; attempt <= SMOKE_TRIES; attempt++) {
    problems = await smokeTest(url, { expectedVersion: version });
    if (problems.length === 0) return console.log('Smoke test passed.');
    // A new version takes a few seconds to reach every location.
    if (attempt < SMOKE_TRIES) await new Promise((resolve) => setTimeout(resolve, SMOKE_WAIT_MS));
  }
  fail(`Smoke test failed:\n  ${problems.join('\n  ')}\nThe Worker is deployed; roll back with \`npx wrangler rollback ${envArg}\` if it is broken.`);
}

if (dryRun) console.log('Dry run: these are the commands `npm run deploy` runs. Nothing is executed.');
console.log(`Environment: ${label}.`);

// Read as wrangler reads it for this environment: the names of its database, queues and region.
let config;
try {
  config = unstable_readConfig({ config: CONFIG_PATH, env: environment === 'production' ? undefined : environment }, { hideWarnings: true });
} catch (error) {
  fail(`wrangler.toml cannot be read for ${label}: ${error instanceof Error ? error.message : error}`);
}
const databaseName = config.d1_databases?.[0]?.database_name;
if (!databaseName) fail(`wrangler.toml has no database_name under d1_databases for ${label}.`);

if (step(['whoami', '--json'], { capture: true }).status !== 0) {
  fail('You are not logged in to Cloudflare. Run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then `npm run deploy` again.');
}

// Before anything changes: a deploy that must refuse for want of a secret refuses here.
const secrets = await secretsToSet();

// The region new Durable Objects are hinted to (src/sessions/location.ts): D1 is created there too.
const storageRegion = config.vars?.STORAGE_REGION;

createIfPlaceholder({
  what: 'd1_databases (DB)',
  placeholder: D1_PLACEHOLDER,
  commandArgs: ['d1', 'create', databaseName, ...(storageRegion ? ['--location', storageRegion] : [])],
  idPattern: D1_ID_IN_OUTPUT,
  replacement: (id) => `database_id = "${id}"`,
});
createIfPlaceholder({
  what: 'kv_namespaces (API_KEYS)',
  placeholder: KV_PLACEHOLDER,
  commandArgs: ['kv', 'namespace', 'create', 'API_KEYS', envArg],
  idPattern: KV_ID_IN_OUTPUT,
  replacement: (id) => `id = "${id}"`,
});

// The webhook queues: the deploy fails on a consumer of a queue that does not exist.
const queueNames = new Set([
  ...(config.queues?.producers ?? []).map((producer) => producer.queue),
  ...(config.queues?.consumers ?? []).flatMap((consumer) => [consumer.queue, consumer.dead_letter_queue].filter(Boolean)),
]);
for (const name of queueNames) {
  if (!dryRun && step(['queues', 'info', name], { capture: true }).status === 0) {
    console.log(`Queue ${name} exists; nothing to create.`);
    continue;
  }
  const created = step(['queues', 'create', name]);
  if (created.status !== 0) fail(`Creating queue ${name} failed (exit ${created.status}). Nothing was deployed.`);
}

// A piped stdin answers wrangler's "continue?" with its non-interactive default, yes.
const migrated = step(['d1', 'migrations', 'apply', 'DB', '--remote', envArg], { input: '' });
if (migrated.status !== 0) fail(`Applying the D1 migrations failed (exit ${migrated.status}). Nothing was deployed.`);

const deployed = deploy(secrets);
process.stdout.write(deployed.stdout);
if (deployed.status !== 0) fail(`wrangler deploy failed (exit ${deployed.status}).`);

const url = option('--url') ?? WORKERS_DEV_URL.exec(deployed.stdout)?.[0];
if (dryRun) console.log('\n(would run the smoke test against the URL wrangler deploy prints, or the one --url names)');
else if (url) await smoke(url);
else console.log('\nNo workers.dev URL in the output above: run the smoke test with `npm run smoke -- https://<your route>`.');

const keyCommand = `${environment === 'production' ? '' : `CLOUDFLARE_ENV=${environment} `}npm run api-key -- create --name ${environment} --remote`;
console.log(`\n${dryRun ? 'Dry run done.' : `Deployed version ${version} to ${environment}.`} Next, an application key:\n  ${keyCommand}`);
