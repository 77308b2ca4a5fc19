// npm run load: a bounded mixed load against the local service on loopback. Each of CONCURRENCY
// virtual users owns a tenant and loops through logins, stamps, changes and expected failures.
// Any answer that is not the expected envelope counts as an error; the exit code is 1 if any occur.
// Every few rounds the business's back end acts on the user through a server key (the admin mix):
// it looks the user up, issues a password reset that the user completes, and signs the user out.
//
// npm run load -- --profile portal: a business's portal logging its users in from its one server
// through a server key, without device tokens. PORTAL_USERS users each behind their own address
// (X-Client-Address), plus SHARED_USERS behind one busy shared address (an office, a carrier NAT),
// every one logging in and out in a loop with an occasional wrong password.
import { randomBytes } from 'node:crypto';
import { newApiKey, putApiKeyRecord } from '../scripts/lib/api-keys.mjs';
import { check, request, startLocalServer, summarize } from '../scripts/lib/local-server.mjs';

const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : 'mixed';
check(['mixed', 'portal'].includes(PROFILE), `unknown profile ${PROFILE}: mixed or portal`);

const PORT = Number(process.env.LOAD_PORT ?? 8798);
const TOTAL = Number(process.env.LOAD_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 8);
const DEADLINE = Date.now() + Number(process.env.LOAD_SECONDS ?? 240) * 1000;

const passphrase = () => `violet tractor ${randomBytes(6).toString('hex')}`;
const samples = new Map();
const errors = [];
let sent = 0;

function isEnvelope(json) {
  return (
    json !== null &&
    typeof json === 'object' &&
    'data' in json &&
    typeof json.succeeded === 'boolean' &&
    typeof json.status === 'string' &&
    (json.succeeded ? json.errors === null : Array.isArray(json.errors) && json.errors[0]?.code === json.status)
  );
}

async function expect(base, action, path, options, status, code) {
  sent++;
  const reply = await request(base, path, options);
  if (!samples.has(action)) samples.set(action, []);
  samples.get(action).push(reply.ms);
  if (!isEnvelope(reply.json) || reply.status !== status || reply.json.status !== code) {
    errors.push({ action, expected: `${status} ${code}`, got: `${reply.status} ${reply.json?.status ?? 'not an envelope'}` });
  }
  return reply;
}

/** The business's back end on the user's behalf: a lookup, a reset the user completes, a sign-out. Returns the new password. */
async function adminRound(base, serverKey, tenant) {
  const found = await expect(base, 'admin_lookup', `/v1/admin/tenants?userName=${encodeURIComponent(tenant.userName)}`, { key: serverKey }, 200, 'SUCCESS');
  const id = found.json?.data?.id;
  const issued = await expect(base, 'admin_reset', `/v1/admin/tenants/${id}/password-reset`, { method: 'POST', key: serverKey }, 201, 'SUCCESS');
  const newPassword = passphrase();
  const body = { resetToken: issued.json?.data?.resetToken, newPassword };
  const reset = await expect(base, 'reset_complete', '/v1/password-reset', { method: 'POST', key: serverKey, body }, 200, 'SUCCESS');
  await expect(base, 'admin_sign_out', `/v1/admin/tenants/${id}/sign-out`, { method: 'POST', key: serverKey }, 200, 'SUCCESS');
  return reset.json?.succeeded ? newPassword : tenant.password;
}

async function virtualUser(base, key, index, serverKey) {
  const tenant = { userName: `load-${index}-${Date.now()}@example.com`, password: passphrase() };
  await expect(base, 'register', '/v1/register', { method: 'POST', key, body: { ...tenant, firstName: 'Ada', lastName: 'Lovelace' } }, 201, 'SUCCESS');
  // Each user logs in as a known device after the first login, as a portal forwarding its users'
  // device tokens does: no lockout of the clients without its token can refuse it.
  let device;
  const asDevice = () => (device ? { 'X-Device-Token': device } : {});
  const login = async () => {
    const data = (await expect(base, 'login', '/v1/login', { method: 'POST', key, body: tenant, headers: asDevice() }, 200, 'SUCCESS')).json?.data;
    device = data?.deviceToken ?? device;
    return data?.token;
  };
  let token = await login();
  const stamp = async () =>
    (await expect(base, 'stamp', '/v1/tenant/profile/change-password/request', { key, token }, 200, 'SUCCESS')).json?.data;
  const change = (body, status, code, action) =>
    expect(base, action, '/v1/tenant/profile/change-password', { method: 'PUT', key, token, body }, status, code);

  for (let round = 0; sent < TOTAL && Date.now() < DEADLINE; round++) {
    // Failures first, then a success that resets the tenant's failed-attempt counter.
    await expect(base, 'no_key', '/v1/tenant/profile/change-password/request', { token }, 401, 'UNAUTHORIZED');
    await expect(base, 'bad_token', '/v1/tenant/profile/change-password/request', { key, token: `${token.slice(0, -4)}AAAA` }, 401, 'UNAUTHORIZED');
    await expect(base, 'unknown_route', '/v1/nope', { key }, 404, 'FAILED');
    await change({ existingPassword: tenant.password, newPassword: passphrase(), concurrencyStamp: crypto.randomUUID() }, 409, 'CHANGE_PASSWORD_FAILED', 'stale_stamp');
    await change({ existingPassword: tenant.password, newPassword: 'short', concurrencyStamp: await stamp() }, 400, 'INVALID_PARAM_NEW_PASSWORD', 'policy_failure');
    await change({ existingPassword: 'not my password', newPassword: passphrase(), concurrencyStamp: await stamp() }, 400, 'MISMATCH_EXISTING_PASSWORD', 'mismatch');
    await expect(base, 'login_failed', '/v1/login', { method: 'POST', key, body: { ...tenant, password: 'not my password' }, headers: asDevice() }, 401, 'INVALID_CREDENTIALS');
    const newPassword = passphrase();
    const changed = await change({ existingPassword: tenant.password, newPassword, concurrencyStamp: await stamp() }, 200, 'SUCCESS', 'change');
    if (changed.json?.succeeded) tenant.password = newPassword;
    if (round % 4 === 3) {
      // The reset and the sign-out end every session of the user: log in again, with the new password.
      tenant.password = await adminRound(base, serverKey, tenant);
      token = await login();
    } else if (round % 3 === 2) {
      await expect(base, 'logout', '/v1/logout', { method: 'POST', key, token }, 200, 'SUCCESS');
      token = await login();
    }
  }
}

// The portal profile. Each address may fail LOGIN_FAILURES_PER_MINUTE (30) times a minute: a
// user's wrong passwords, and those of all the shared address's users together, stay below it, so
// every answer is the expected one; the successes around them are never counted.
const PORTAL_USERS = Number(process.env.LOAD_PORTAL_USERS ?? 24);
const SHARED_USERS = Number(process.env.LOAD_SHARED_USERS ?? 8);
const SHARED_ADDRESS = '2001:db8:5ea:1::1';
const FAILURES_PER_USER = 2;
const WRONG_EVERY = 10;

async function portalUser(base, key, index, address) {
  const client = { 'X-Client-Address': address };
  const tenant = { userName: `portal-${index}-${Date.now()}@example.com`, password: passphrase() };
  await expect(base, 'register', '/v1/register', { method: 'POST', key, body: { ...tenant, firstName: 'Ada', lastName: 'Lovelace' }, headers: client }, 201, 'SUCCESS');
  let failures = 0;
  for (let round = 1; sent < TOTAL && Date.now() < DEADLINE; round++) {
    if (round % WRONG_EVERY === 0 && failures < FAILURES_PER_USER) {
      failures++;
      await expect(base, 'login_failed', '/v1/login', { method: 'POST', key, body: { ...tenant, password: 'not my password' }, headers: client }, 401, 'INVALID_CREDENTIALS');
      continue;
    }
    const token = (await expect(base, 'login', '/v1/login', { method: 'POST', key, body: tenant, headers: client }, 200, 'SUCCESS')).json?.data?.token;
    await expect(base, 'logout', '/v1/logout', { method: 'POST', key, token, headers: client }, 200, 'SUCCESS');
  }
}

function portalUsers(base, key) {
  const own = Array.from({ length: PORTAL_USERS }, (_, i) => portalUser(base, key, i, i % 2 === 0 ? `198.51.100.${i + 1}` : `2001:db8:${i.toString(16)}::${i + 1}`));
  const shared = Array.from({ length: SHARED_USERS }, (_, i) => portalUser(base, key, PORTAL_USERS + i, SHARED_ADDRESS));
  return [...own, ...shared];
}

async function main() {
  const portal = PROFILE === 'portal';
  // The mixed profile's admin rounds use a server key of the same business as the users' publishable one.
  const admin = newApiKey('load-admin', undefined, 'server');
  const storeAdminKey = (state) => check(putApiKeyRecord(admin.storageKey, admin.record, ['--local', '--persist-to', state]) === 0, 'could not store the server key');
  const server = await startLocalServer({ script: 'src/index.ts', port: PORT, keyKind: portal ? 'server' : undefined, seed: portal ? undefined : storeAdminKey });
  const started = performance.now();
  try {
    await Promise.all(
      portal
        ? portalUsers(server.base, server.apiKey)
        : Array.from({ length: CONCURRENCY }, (_, i) => virtualUser(server.base, server.apiKey, i, admin.key)),
    );
  } finally {
    server.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const all = [...samples.values()].flat();
  console.log(`action           n    p50 ms   p95 ms   p99 ms`);
  for (const [action, values] of [...samples.entries(), ['all', all]]) {
    const s = summarize(values);
    console.log(`${action.padEnd(15)} ${String(s.n).padStart(4)} ${s.p50.toFixed(2).padStart(8)} ${s.p95.toFixed(2).padStart(8)} ${s.p99.toFixed(2).padStart(8)}`);
  }
  for (const error of errors.slice(0, 10)) console.log('unexpected:', JSON.stringify(error));
  const concurrency = portal ? PORTAL_USERS + SHARED_USERS : CONCURRENCY;
  const summary = { profile: PROFILE, requests: sent, concurrency, seconds, requests_per_second: sent / seconds, errors: errors.length, latency_ms: summarize(all) };
  console.log(JSON.stringify(summary));
  check(sent > 0, 'no requests were sent');
  process.exitCode = errors.length === 0 ? 0 : 1;
}

main().catch((error) => {
  // A virtual user stops at an answer it cannot go on from (a login without a token): show why.
  for (const unexpected of errors.slice(0, 10)) console.error('unexpected:', JSON.stringify(unexpected));
  console.error(error);
  process.exit(1);
});
