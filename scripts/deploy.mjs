// npm run deploy: the documented path to Cloudflare, one wrangler command per step.
//   1. `wrangler whoami`: you are logged in (`npx wrangler login`) or CLOUDFLARE_API_TOKEN is set.
//   2. While wrangler.toml still holds the placeholder ids: `wrangler d1 create` (in STORAGE_REGION, if set) and
//      `wrangler kv namespace create`, and the printed ids are written into wrangler.toml.
//   3. `wrangler queues create` for each queue of wrangler.toml that `wrangler queues info` does not find.
//   4. `wrangler d1 migrations apply DB --remote`.
//   5. If the PASSWORD_PEPPER environment variable is set: `wrangler secret put PASSWORD_PEPPER`.
//   6. `wrangler deploy`.
// `npm run deploy -- --dry-run` prints the commands and runs none of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { wrangler } from './lib/wrangler.mjs';

const CONFIG_PATH = fileURLToPath(new URL('../wrangler.toml', import.meta.url));
const KV_NAMESPACE_TITLE = 'API_KEYS';

// The ids wrangler.toml ships with; a targeted replace keeps the file's comments and layout.
const D1_PLACEHOLDER = /^database_id = "00000000-0000-0000-0000-000000000000"$/m;
const KV_PLACEHOLDER = /^id = "00000000000000000000000000000000"$/m;
// wrangler prints the snippet to add in the config file's own format: TOML here.
const D1_ID_IN_OUTPUT = /^\s*database_id\s*=\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/im;
const KV_ID_IN_OUTPUT = /^\s*id\s*=\s*"([0-9a-f]{32})"/im;

const dryRun = process.argv.includes('--dry-run');
const pepper = process.env.PASSWORD_PEPPER;

function fail(message) {
  console.error(`\n${message}`);
  process.exit(1);
}

/**
 * Prints a wrangler command as you would type it, then runs it unless this is a dry run.
 * `shown` replaces the printed command where the real one must not be echoed (a secret on stdin).
 */
function step(args, { capture = false, input, shown } = {}) {
  console.log(`\n$ ${shown ?? `npx wrangler ${args.join(' ')}`}`);
  if (dryRun) return { status: 0, stdout: '' };
  return wrangler(args, { capture, input });
}

function readConfig() {
  return readFileSync(CONFIG_PATH, 'utf8');
}

/** Creates a resource whose id is still the placeholder, and writes the id wrangler printed into the config. */
function createIfPlaceholder({ what, placeholder, args, idPattern, replacement }) {
  if (!placeholder.test(readConfig())) {
    console.log(`\n${what}: wrangler.toml already holds its id; nothing to create.`);
    return;
  }
  // Captured output and a piped stdin keep wrangler non-interactive; for a TOML config it only prints
  // a snippet with the new id, and this script writes the id.
  const result = step(args, { capture: true, input: '' });
  if (dryRun) {
    console.log(`  (would write the printed id into ${what} in wrangler.toml)`);
    return;
  }
  process.stdout.write(result.stdout);
  if (result.status !== 0) {
    fail(`Creating ${what} failed (exit ${result.status}). If it already exists, put its id into wrangler.toml and run again.`);
  }
  const id = idPattern.exec(result.stdout)?.[1];
  if (!id) fail(`Could not find the new id in wrangler's output above. Put it into ${what} in wrangler.toml and run again.`);
  writeFileSync(CONFIG_PATH, readConfig().replace(placeholder, replacement(id)));
  console.log(`Wrote id ${id} into ${what} in wrangler.toml. Commit that change.`);
}

if (dryRun) console.log('Dry run: these are the commands `npm run deploy` runs. Nothing is executed.');

if (step(['whoami', '--json'], { capture: true }).status !== 0) {
  fail('You are not logged in to Cloudflare. Run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then `npm run deploy` again.');
}

const databaseName = /^database_name\s*=\s*"([^"]+)"/m.exec(readConfig())?.[1];
if (!databaseName) fail('wrangler.toml has no database_name under [[d1_databases]].');

// The region new Durable Objects are hinted to (src/sessions/location.ts): D1 is created there too.
const storageRegion = /^STORAGE_REGION\s*=\s*"([a-z]*)"/m.exec(readConfig())?.[1];

createIfPlaceholder({
  what: 'd1_databases (DB)',
  placeholder: D1_PLACEHOLDER,
  args: ['d1', 'create', databaseName, ...(storageRegion ? ['--location', storageRegion] : [])],
  idPattern: D1_ID_IN_OUTPUT,
  replacement: (id) => `database_id = "${id}"`,
});
createIfPlaceholder({
  what: 'kv_namespaces (API_KEYS)',
  placeholder: KV_PLACEHOLDER,
  args: ['kv', 'namespace', 'create', KV_NAMESPACE_TITLE],
  idPattern: KV_ID_IN_OUTPUT,
  replacement: (id) => `id = "${id}"`,
});

// The webhook queues: the deploy fails on a consumer of a queue that does not exist.
const queueNames = new Set([...readConfig().matchAll(/^(?:queue|dead_letter_queue)\s*=\s*"([^"]+)"/gm)].map((match) => match[1]));
for (const name of queueNames) {
  if (!dryRun && step(['queues', 'info', name], { capture: true }).status === 0) {
    console.log(`Queue ${name} exists; nothing to create.`);
    continue;
  }
  const created = step(['queues', 'create', name]);
  if (created.status !== 0) fail(`Creating queue ${name} failed (exit ${created.status}). Nothing was deployed.`);
}

// A piped stdin answers wrangler's "continue?" with its non-interactive default, yes.
const migrated = step(['d1', 'migrations', 'apply', 'DB', '--remote'], { input: '' });
if (migrated.status !== 0) fail(`Applying the D1 migrations failed (exit ${migrated.status}). Nothing was deployed.`);

if (pepper) {
  console.log('\nPASSWORD_PEPPER is given: it becomes the Worker\'s secret. Keep the same value from now on;');
  console.log('another value locks out every tenant whose hash was peppered with the old one.');
  // The value goes in on stdin, so it is never part of a command line or a log.
  const secret = step(['secret', 'put', 'PASSWORD_PEPPER'], {
    input: pepper,
    shown: 'printf %s "$PASSWORD_PEPPER" | npx wrangler secret put PASSWORD_PEPPER',
  });
  if (secret.status !== 0) fail(`Setting PASSWORD_PEPPER failed (exit ${secret.status}). Nothing was deployed.`);
} else {
  console.log('\nPASSWORD_PEPPER is not set in the environment; the Worker keeps the secret it has, if any.');
}

const deployed = step(['deploy']);
if (deployed.status !== 0) fail(`wrangler deploy failed (exit ${deployed.status}).`);

console.log(`\n${dryRun ? 'Dry run done.' : 'Deployed.'} Next, an application key for production:
  npm run api-key -- create --name prod --remote`);
