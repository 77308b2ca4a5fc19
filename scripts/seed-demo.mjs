// npm run seed:demo: a demo application key in the local store and a demo tenant registered through
// the running API, so you can try the service at once. Needs `npm start` in another terminal
// (BASE, default http://127.0.0.1:8787). Prints the key, the user name and the password.
import { randomBytes, randomUUID } from 'node:crypto';
import { newApiKey, putApiKeyRecord } from './lib/api-keys.mjs';
import { fail } from './lib/wrangler.mjs';

const BASE = (process.env.BASE ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');

try {
  await fetch(`${BASE}/openapi.json`);
} catch {
  fail(`No server answers at ${BASE}. Start it with \`npm start\` in another terminal, then run \`npm run seed:demo\` again.`);
}

const { key, storageKey, record } = newApiKey('demo');
const stored = putApiKeyRecord(storageKey, record, ['--local']);
if (stored !== 0) fail(`Could not store the demo key in the local store (wrangler kv put exited ${stored}).`);

const tenant = {
  userName: `demo-${randomUUID().slice(0, 8)}@example.com`,
  password: randomBytes(12).toString('base64url'),
  firstName: 'Demo',
  lastName: 'Tenant',
};
const response = await fetch(`${BASE}/v1/register`, {
  method: 'POST',
  headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
  body: JSON.stringify(tenant),
});
const answer = await response.text();
if (response.status !== 201) {
  fail(
    `POST ${BASE}/v1/register answered ${response.status}: ${answer}\n` +
      `If the server serves another local store (e.g. --persist-to), it cannot see the key written to .wrangler/state.`,
  );
}

console.log(`Demo data in the local store, served at ${BASE}:
  API key    ${key}
  user name  ${tenant.userName}
  password   ${tenant.password}
  tenant id  ${JSON.parse(answer).data}

Log in:
  curl -s -X POST ${BASE}/v1/login -H 'X-API-Key: ${key}' -H 'Content-Type: application/json' \\
    -d '{"userName":"${tenant.userName}","password":"${tenant.password}"}'`);
