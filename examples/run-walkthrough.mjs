// npm run test:walkthrough: serves the real worker on a free loopback port over a throwaway local
// store, then runs the walkthrough script (examples/walkthrough.sh), the README's own curl blocks as
// written, and the typed client (examples/client.ts) against it, and checks that the README's password
// change reached a webhook receiver on loopback, registered with `npm run webhook -- set` and
// verifying the signature with the standardwebhooks package. Exits 1 if any fails.
// WALKTHROUGH_PORT picks the port.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { newApiKey, putApiKeyRecord } from '../scripts/lib/api-keys.mjs';
import { startLocalServer } from '../scripts/lib/local-server.mjs';
import { startWebhookReceiver } from '../scripts/lib/webhook-receiver.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The local queue batches for up to max_batch_timeout (2 s) before the consumer runs. */
const WEBHOOK_WAIT_MS = 30_000;

const CHECKS = [
  { name: 'examples/walkthrough.sh', command: 'bash', args: ['examples/walkthrough.sh'] },
  // The project's Node 22 runs the TypeScript file directly (type stripping).
  { name: 'examples/client.ts', command: process.execPath, args: ['examples/client.ts'] },
];

/** A port nothing listens on right now, chosen by the system. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The README's "Walkthrough with curl" section: its sh blocks as one script (pointed at `base`, with
 * `key` and a fresh user name), and the envelope status shown by each json block that follows one.
 */
function readmeWalkthrough(base, key, adminKey) {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Walkthrough with curl')[1].split('\n## ')[0];
  const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map(([, kind, text]) => ({ kind, text }));
  const userName = `readme-${randomUUID()}@example.com`;
  const script = blocks
    .filter((block) => block.kind === 'sh')
    .map((block) =>
      block.text
        .replace(/^KEY=\$\(npm run api-key.*$/m, `KEY='${key}'`)
        .replace(/^ADMIN_KEY=\$\(npm run api-key.*$/m, `ADMIN_KEY='${adminKey}'`)
        .replaceAll('http://127.0.0.1:8787', base)
        .replaceAll('jane.doe@example.com', userName),
    )
    .join('\necho\n');
  const expected = blocks.flatMap((block, i) =>
    block.kind === 'json' && blocks[i - 1]?.kind === 'sh' ? [JSON.parse(block.text).status] : [],
  );
  return { script: `set -euo pipefail\n${script}\necho\n`, expected };
}

/**
 * Runs the README's blocks and compares the envelopes they print with the ones the README shows.
 * Returns whether they match, and the tenant the README registered.
 */
function runReadmeWalkthrough(base, key, adminKey) {
  const { script, expected } = readmeWalkthrough(base, key, adminKey);
  const result = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8' });
  const answers = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  const statuses = answers.map((answer) => answer.status);
  console.log(statuses.map((status, i) => `README step ${i + 1}: ${status}`).join('\n'));
  const same = result.status === 0 && JSON.stringify(statuses) === JSON.stringify(expected);
  if (!same) console.error(`README walkthrough: expected ${JSON.stringify(expected)}, got ${JSON.stringify(statuses)}\n${result.stderr}`);
  return { same, tenantId: answers[0]?.data };
}

/** Registers `receiver` as the default business's endpoint with the webhook CLI, as the README shows. */
function registerReceiver(receiver, state) {
  const result = spawnSync('npm', ['run', '-s', 'webhook', '--', 'set', '--business', 'default', '--url', receiver.url, '--persist-to', state], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`npm run webhook -- set failed (exit ${result.status})`);
  receiver.setSecret(result.stdout.trim().split('\n').at(-1));
}

/** Waits for the signed `tenant.password_changed` of the README's tenant to reach the receiver. */
async function receivedReadmeChange(webhooks, tenantId) {
  console.log('\n== tenant.password_changed of the README tenant, signed, at the webhook receiver');
  for (let waited = 0; waited < WEBHOOK_WAIT_MS; waited += 250) {
    const match = webhooks.events.find(({ event }) => event.type === 'tenant.password_changed' && event.data.tenantId === tenantId);
    if (match) {
      console.log(`verified ${match.id}: ${JSON.stringify(match.event)}`);
      return webhooks.rejected.length === 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`No event for tenant ${tenantId} within ${WEBHOOK_WAIT_MS} ms; rejected: ${JSON.stringify(webhooks.rejected)}`);
  return false;
}

let passed = 0;
let failed = 0;
let server;
let receiver;
try {
  server = await startLocalServer({ script: 'src/index.ts', port: Number(process.env.WALKTHROUGH_PORT) || (await freePort()) });
  console.log(`Serving src/index.ts at ${server.base}`);
  const webhooks = { events: [], rejected: [] };
  receiver = await startWebhookReceiver({
    onEvent: (received) => webhooks.events.push(received),
    onRejected: (reason) => webhooks.rejected.push(reason),
  });
  registerReceiver(receiver, server.state);
  // A key of another business, for the walkthrough script to show that it sees none of the first one's tenants.
  const other = newApiKey('walkthrough', 'another-business');
  if (putApiKeyRecord(other.storageKey, other.record, ['--local', '--persist-to', server.state]) !== 0) {
    throw new Error('could not store the key of another business');
  }
  // A server key of the same business, for the tenant administration step.
  const admin = newApiKey('walkthrough-admin', undefined, 'server');
  if (putApiKeyRecord(admin.storageKey, admin.record, ['--local', '--persist-to', server.state]) !== 0) {
    throw new Error('could not store the server key');
  }
  for (const check of CHECKS) {
    console.log(`\n== ${check.name}`);
    const result = spawnSync(check.command, check.args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, BASE: server.base, KEY: server.apiKey, ADMIN_KEY: admin.key, OTHER_BUSINESS_KEY: other.key },
    });
    if (result.status === 0) {
      passed++;
    } else {
      failed++;
      console.error(`== ${check.name} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
    }
  }
  console.log('\n== README.md walkthrough, as written');
  const readme = runReadmeWalkthrough(server.base, server.apiKey, admin.key);
  if (readme.same) passed++;
  else failed++;
  if (await receivedReadmeChange(webhooks, readme.tenantId)) passed++;
  else failed++;
} catch (error) {
  console.error(`Could not serve the worker: ${error.message}`);
  failed = CHECKS.length + 2 - passed;
} finally {
  await receiver?.close();
  server?.stop();
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
