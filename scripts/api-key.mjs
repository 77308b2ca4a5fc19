// Operator CLI for application keys (X-API-Key), stored in the API_KEYS KV namespace by hash only.
//   npm run api-key -- create --name <name> [--business <slug>] [--kind publishable|server] [--remote]
//                                                          prints the new key alone on the last line
//   npm run api-key -- list [--remote]
//   npm run api-key -- revoke <id> [--remote]
import {
  API_KEY_ID_PATTERN,
  API_KEY_KINDS,
  API_KEY_STORAGE_PREFIX as PREFIX,
  BUSINESS_PATTERN,
  DEFAULT_API_KEY_KIND,
  DEFAULT_BUSINESS,
  kindOf,
} from '../src/auth/api-key-format.ts';
import { newApiKey, putApiKeyRecord } from './lib/api-keys.mjs';
import { fail, parseJsonOutput, wrangler } from './lib/wrangler.mjs';

const USAGE = `usage: npm run api-key -- create --name <name> [--business <slug>] [--kind publishable|server] | list | revoke <id>   [--remote]

  --kind publishable   (default) a key that may sit in a tenant-facing app or web page: treated as public,
                       per-client limits use the caller's address (CF-Connecting-IP).
  --kind server        a key kept secret on the business's own servers (a portal): its requests may name
                       the end user's address in X-Client-Address, which then replaces the caller's
                       address for every per-client limit.`;
const VALUED_OPTIONS = ['--name', '--business', '--kind'];

const args = process.argv.slice(2);
const target = args.includes('--remote') ? '--remote' : '--local';
const positional = args.filter((arg, i) => !arg.startsWith('--') && !VALUED_OPTIONS.includes(args[i - 1]));
const [command, idArgument] = positional;

function kv(kvArgs, options) {
  const result = wrangler(['kv', 'key', ...kvArgs, '--binding', 'API_KEYS', target], options);
  if (result.status !== 0) fail(`wrangler kv ${kvArgs[0]} failed (exit ${result.status}).`);
  return result.stdout;
}

function keysWithPrefix(prefix) {
  return parseJsonOutput(kv(['list', '--prefix', prefix], { capture: true }));
}

function putRecord(storageKey, record) {
  const status = putApiKeyRecord(storageKey, record, [target]);
  if (status !== 0) fail(`wrangler kv put failed (exit ${status}).`);
}

/** The value after `option`, undefined when the option is absent; a missing value is a usage error. */
function optionValue(option) {
  const index = args.indexOf(option);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (!value || value.startsWith('--')) fail(USAGE);
  return value;
}

function create() {
  const name = optionValue('--name');
  if (!name) fail(USAGE);
  const business = optionValue('--business') ?? DEFAULT_BUSINESS;
  if (!BUSINESS_PATTERN.test(business)) {
    fail(`--business must be lower-case letters, digits and hyphens, 1 to 63 characters, not starting with a hyphen (got ${business}).`);
  }
  const kind = optionValue('--kind') ?? DEFAULT_API_KEY_KIND;
  if (!API_KEY_KINDS.includes(kind)) fail(`--kind must be one of ${API_KEY_KINDS.join(', ')} (got ${kind}).`);
  const { key, storageKey, record } = newApiKey(name, business, kind);
  putRecord(storageKey, record);
  console.log(
    `Created ${kind} key ${record.id} (${name}) of business ${business} in the ${target.slice(2)} namespace. It is shown once; store it now:`,
  );
  console.log(key);
}

function list() {
  const keys = keysWithPrefix(PREFIX);
  if (keys.length === 0) console.log('No keys.');
  for (const { metadata } of keys) {
    const state = metadata?.revokedAt ? `revoked ${metadata.revokedAt}` : 'active';
    const business = metadata?.business ?? DEFAULT_BUSINESS;
    const kind = kindOf(metadata ?? {});
    console.log(`${metadata?.id ?? '?'}  ${metadata?.name ?? '?'}  business ${business}  ${kind}  created ${metadata?.createdAt ?? '?'}  ${state}`);
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
