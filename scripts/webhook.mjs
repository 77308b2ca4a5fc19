// Operator CLI for webhook endpoints (one per business) and the events that could not be delivered,
// in the D1 database: the local store by default, the deployed database with --remote.
//   npm run webhook -- set --business <slug> --url <url>   prints the whsec_ signing secret alone on the last line
//   npm run webhook -- rotate --business <slug>             a new secret, alone on the last line; both sign for
//                                                           WEBHOOK_SECRET_OVERLAP_HOURS (default 24)
//   npm run webhook -- remove --business <slug>
//   npm run webhook -- failed --business <slug>
//   npm run webhook -- replay --business <slug> [--id <msg id>]   queues failed events again (the cron sweep sends them)
// Options: --remote, or --persist-to <dir> for a local store kept elsewhere than .wrangler/state.
// CLOUDFLARE_ENV=staging targets the staging environment of wrangler.toml.
// The SQL comes from src/events/operator-sql.ts. A statement holding a secret goes to wrangler in a
// file readable only by this user and deleted at once, never on a command line that ps or a log shows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destinationProblem } from '../src/events/destination.ts';
import { failedEventsSql, removeEndpointSql, replayFailedSql, rotateSecretSql, setEndpointSql } from '../src/events/operator-sql.ts';
import { newWebhookSecret } from '../src/events/signature.ts';
import { BUSINESS_PATTERN } from '../src/auth/api-key-format.ts';
import { fail, parseJsonOutput, wrangler } from './lib/wrangler.mjs';

const USAGE = `usage: npm run webhook -- set --business <slug> --url <url> | rotate --business <slug> | remove --business <slug>
         | failed --business <slug> | replay --business <slug> [--id <msg id>]   [--remote | --persist-to <dir>]`;

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined && !args[i + 1].startsWith('--') ? args[i + 1] : undefined;
};
const remote = args.includes('--remote');
const persistTo = option('--persist-to');
const location = remote ? ['--remote'] : ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])];
const where = remote ? 'deployed' : 'local';

/** Runs SQL with `wrangler d1 execute`; returns the rows of its last statement. */
function d1(sql, { secret = false } = {}) {
  const dir = secret ? mkdtempSync(join(tmpdir(), 'webhook-')) : null;
  try {
    let source = ['--command', sql];
    if (dir) {
      const file = join(dir, 'statement.sql');
      writeFileSync(file, sql, { mode: 0o600 });
      source = ['--file', file];
    }
    const result = wrangler(['d1', 'execute', 'DB', ...location, '--json', '--yes', ...source], { capture: true });
    if (result.status !== 0) {
      const reason = /"text":\s*"([^"]*)"/.exec(result.stdout)?.[1] ?? `exit ${result.status}`;
      fail(`wrangler d1 execute failed: ${reason}. Has the database been migrated (npm start does it locally)?`);
    }
    const output = parseJsonOutput(result.stdout);
    return (Array.isArray(output) ? output.at(-1)?.results : output?.results) ?? [];
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function business() {
  const slug = option('--business');
  if (!slug) fail(USAGE);
  if (!BUSINESS_PATTERN.test(slug)) fail(`--business must be a slug: lower-case letters, digits and hyphens (got ${JSON.stringify(slug)}).`);
  return slug;
}

function set() {
  const slug = business();
  const url = option('--url');
  if (!url) fail(USAGE);
  const problem = destinationProblem(url, { allowLoopback: !remote });
  if (problem) fail(`The endpoint ${problem}.`);
  const secret = newWebhookSecret();
  d1(setEndpointSql(slug, new URL(url).href, secret, Date.now()), { secret: true });
  console.log(`Webhook endpoint of business ${slug} set to ${new URL(url).href} in the ${where} database.`);
  console.log('Events are signed per Standard Webhooks with this secret. It is shown once; store it now:');
  console.log(secret);
}

function rotate() {
  const slug = business();
  const secret = newWebhookSecret();
  const rotated = d1(rotateSecretSql(slug, secret, Date.now()), { secret: true });
  if (rotated.length === 0) fail(`Business ${slug} has no webhook endpoint in the ${where} database: set one first.`);
  console.log(`New signing secret for the webhook endpoint of business ${slug} in the ${where} database.`);
  console.log('Deliveries carry the signatures of the old and the new secret for WEBHOOK_SECRET_OVERLAP_HOURS (default 24),');
  console.log('then of the new one only: give it to the receiver within that time. It is shown once; store it now:');
  console.log(secret);
}

function replay() {
  const slug = business();
  const id = option('--id');
  const replayed = d1(replayFailedSql(slug, id));
  if (replayed.length === 0) {
    console.log(id ? `Business ${slug} has no failed event ${id}.` : `No failed events for business ${slug}.`);
    return;
  }
  console.log(`Queued ${replayed.length} failed event(s) of business ${slug} again: ${replayed.map((row) => row.id).join(', ')}`);
  console.log(
    remote
      ? 'The cron sweep sends them within five minutes; `npm run webhook -- failed` lists any that fail again.'
      : 'The cron sweep sends them: with `npm start` running, curl http://127.0.0.1:8787/__scheduled runs it now.',
  );
}

function remove() {
  const slug = business();
  const removed = d1(removeEndpointSql(slug));
  console.log(removed.length > 0 ? `Removed the webhook endpoint of business ${slug}.` : `Business ${slug} has no webhook endpoint.`);
}

function failed() {
  const slug = business();
  const rows = d1(failedEventsSql(slug));
  if (rows.length === 0) {
    console.log(`No failed events for business ${slug}.`);
    return;
  }
  console.log('id                                    type                                 tenant                                failed at                 attempts  last status');
  for (const row of rows) {
    const at = new Date(row.failed_at).toISOString();
    console.log(`${row.id}  ${row.type.padEnd(35)}  ${row.tenant_id.padEnd(36)}  ${at}  ${String(row.attempts).padStart(8)}  ${row.last_status ?? '-'}`);
  }
}

const commands = { set, rotate, remove, failed, replay };
const command = commands[args[0]];
if (!command) fail(USAGE);
command();
