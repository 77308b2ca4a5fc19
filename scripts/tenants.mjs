// Operator CLI for a business's tenants.
//   npm run tenants -- import --business <slug> --file <path.json> [--url <base URL>] [--key <server key>]
//                          [--remote] [--persist-to <dir>] [--report <path.json>]
// Reads { "tenants": [...] } or a bare array (docs/migrating.md), sends it to POST /v1/admin/tenants/import
// in calls of at most 1,000 tenants, and prints what was imported and what skipped (by code, with the
// entries' indexes in the file). Exits 1 if a call fails (transport or server error); running the same
// command again is safe, since what is imported is skipped the second time.
// The key: --key or $STOREGISTER_KEY (a server key of the business); otherwise a server key made for
// this run in the local store (or, with --remote, the deployed namespace) and revoked when it ends.
// The target: --url, else http://127.0.0.1:8787 (`npm start` must be running); --remote needs --url.
import { readFileSync, writeFileSync } from 'node:fs';
import { BUSINESS_PATTERN } from '../src/auth/api-key-format.ts';
import { newApiKey, putApiKeyRecord } from './lib/api-keys.mjs';
import { runImport, summaryLines, tenantsOfFile } from './lib/tenant-import.ts';
import { fail } from './lib/wrangler.mjs';

const USAGE = `usage: npm run tenants -- import --business <slug> --file <path.json> [--url <base URL>] [--key <server key>]
                              [--remote] [--persist-to <dir>] [--report <path.json>]

  --file      { "tenants": [ { userName, firstName, lastName, phoneNumber?, passwordHash } ] } or a bare array
  --url       the API (default http://127.0.0.1:8787, where npm start serves); required with --remote
  --key       a server key of the business (or $STOREGISTER_KEY); without one, a server key is created for
              this run in the local store (--remote: the deployed namespace) and revoked at the end
  --report    writes every entry's outcome (index, id or code) to this JSON file`;
const VALUED = ['--business', '--file', '--url', '--key', '--persist-to', '--report'];

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) fail(USAGE);
  return value;
};
const positional = args.filter((arg, i) => !arg.startsWith('--') && !VALUED.includes(args[i - 1]));
if (positional[0] !== 'import' || positional.length !== 1) fail(USAGE);

const business = option('--business');
const file = option('--file');
if (!business || !file) fail(USAGE);
if (!BUSINESS_PATTERN.test(business)) fail(`--business must be a slug: lower-case letters, digits and hyphens (got ${JSON.stringify(business)}).`);
const remote = args.includes('--remote');
const url = option('--url') ?? (remote ? fail('--remote needs --url <the deployed URL> (the one npm run deploy printed).') : 'http://127.0.0.1:8787');
const persistTo = option('--persist-to');
const location = remote ? ['--remote'] : ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])];

let tenants;
try {
  tenants = tenantsOfFile(readFileSync(file, 'utf8'));
} catch (error) {
  fail(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
}

/** A server key of the business for this run only, revoked by `revoke()`. */
function temporaryKey() {
  const { key, storageKey, record } = newApiKey(`tenants-import ${new Date().toISOString()}`, business, 'server');
  if (putApiKeyRecord(storageKey, record, location) !== 0) fail('Could not store a key for the import (wrangler kv key put failed).');
  console.log(`Created server key ${record.id} of business ${business} for this import; it is revoked when the import ends.`);
  return {
    key,
    revoke: () => {
      const status = putApiKeyRecord(storageKey, { ...record, revokedAt: new Date().toISOString() }, location);
      if (status === 0) console.log(`Revoked key ${record.id}.`);
      else console.error(`Could not revoke key ${record.id}: run npm run api-key -- revoke ${record.id}${remote ? ' --remote' : ''}`);
    },
  };
}

const given = option('--key') ?? process.env.STOREGISTER_KEY;
const credential = given ? { key: given, revoke: () => {} } : temporaryKey();
let result;
try {
  console.log(`Importing ${tenants.length} tenants of ${file} into business ${business} at ${url}.`);
  result = await runImport({
    base: url,
    key: credential.key,
    tenants,
    retryUnauthorized: remote && !given ? 12 : 0,
    onCall: (call) =>
      console.log(
        `  entries ${call.offset} to ${call.offset + call.tenants.length - 1}: ` +
          (call.failed ? `failed (${call.failed})` : `${call.imported} imported, ${call.skipped} skipped`),
      ),
  });
} finally {
  credential.revoke();
}
for (const line of summaryLines(result)) console.log(line);
const report = option('--report');
if (report) {
  writeFileSync(report, `${JSON.stringify({ imported: result.imported, skipped: result.skipped, failure: result.failure }, null, 2)}\n`);
  console.log(`Wrote every entry's outcome to ${report}.`);
}
if (result.failure) process.exit(1);
