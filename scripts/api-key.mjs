// Operator CLI for application keys (X-API-Key), stored in the API_KEYS KV namespace by hash only.
//   npm run api-key -- create --name <name> [--remote]   prints the new key alone on the last line
//   npm run api-key -- list [--remote]
//   npm run api-key -- revoke <id> [--remote]
import { API_KEY_ID_PATTERN, API_KEY_STORAGE_PREFIX as PREFIX } from '../src/auth/api-key-format.ts';
import { newApiKey, putApiKeyRecord } from './lib/api-keys.mjs';
import { wrangler } from './lib/wrangler.mjs';

const USAGE = 'usage: npm run api-key -- create --name <name> | list | revoke <id>   [--remote]';

const args = process.argv.slice(2);
const target = args.includes('--remote') ? '--remote' : '--local';
const positional = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--name');
const [command, idArgument] = positional;

function fail(message) {
  console.error(message);
  process.exit(1);
}

function kv(kvArgs, options) {
  const result = wrangler(['kv', 'key', ...kvArgs, '--binding', 'API_KEYS', target], options);
  if (result.status !== 0) fail(`wrangler kv ${kvArgs[0]} failed (exit ${result.status}).`);
  return result.stdout;
}

/** Wrangler may print banners around JSON output; take the JSON value alone. */
function parseJsonOutput(text) {
  const start = text.search(/[[{]/);
  if (start < 0) fail('wrangler returned no JSON.');
  return JSON.parse(text.slice(start));
}

function keysWithPrefix(prefix) {
  return parseJsonOutput(kv(['list', '--prefix', prefix], { capture: true }));
}

function putRecord(storageKey, record) {
  const status = putApiKeyRecord(storageKey, record, [target]);
  if (status !== 0) fail(`wrangler kv put failed (exit ${status}).`);
}

function create() {
  const nameIndex = args.indexOf('--name');
  const name = nameIndex >= 0 ? args[nameIndex + 1] : undefined;
  if (!name || name.startsWith('--')) fail(USAGE);
  const { key, storageKey, record } = newApiKey(name);
  putRecord(storageKey, record);
  console.log(`Created key ${record.id} (${name}) in the ${target.slice(2)} namespace. It is shown once; store it now:`);
  console.log(key);
}

function list() {
  const keys = keysWithPrefix(PREFIX);
  if (keys.length === 0) console.log('No keys.');
  for (const { metadata } of keys) {
    const state = metadata?.revokedAt ? `revoked ${metadata.revokedAt}` : 'active';
    console.log(`${metadata?.id ?? '?'}  ${metadata?.name ?? '?'}  created ${metadata?.createdAt ?? '?'}  ${state}`);
  }
}

function revoke() {
  if (!idArgument || !API_KEY_ID_PATTERN.test(idArgument)) fail(USAGE);
  const [match, ...others] = keysWithPrefix(`${PREFIX}${idArgument}`);
  if (!match) fail(`No key with id ${idArgument}.`);
  if (others.length > 0) fail(`More than one key matches ${idArgument}.`);
  const record = parseJsonOutput(kv(['get', match.name, '--text'], { capture: true }));
  if (record.revokedAt) {
    console.log(`Key ${idArgument} was already revoked at ${record.revokedAt}.`);
    return;
  }
  putRecord(match.name, { ...record, revokedAt: new Date().toISOString() });
  console.log(`Revoked key ${idArgument}. Edge caches may accept it for up to 60 more seconds.`);
}

const commands = { create, list, revoke };
if (!commands[command]) fail(USAGE);
commands[command]();
