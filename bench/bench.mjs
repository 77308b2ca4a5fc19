// npm run bench: serves bench/worker.ts (the production worker plus measuring routes) with wrangler dev
// on loopback, against a throwaway local store, and measures every figure in this one run.
import { randomBytes } from 'node:crypto';
import { check, request as send, startLocalServer, summarize } from '../scripts/lib/local-server.mjs';

const PORT = Number(process.env.BENCH_PORT ?? 8799);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
const PROBE_REPEAT = 10; // as in bench/worker.ts
const DEADLINE = Date.now() + 8 * 60_000;
let BASE;
const request = (path, options) => send(BASE, path, options);

function expectStatus(reply, status, code) {
  check(reply.status === status && reply.json?.status === code, `expected ${status} ${code}, got ${reply.status} ${JSON.stringify(reply.json)}`);
  return reply;
}

let tenantCounter = 0;
async function newTenant(key) {
  const userName = `bench-${Date.now()}-${tenantCounter++}@example.com`;
  const password = `violet tractor ${randomBytes(6).toString('hex')}`;
  expectStatus(await request('/v1/register', { method: 'POST', key, body: { userName, password, firstName: 'Ada', lastName: 'Lovelace' } }), 201, 'SUCCESS');
  const login = expectStatus(await request('/v1/login', { method: 'POST', key, body: { userName, password } }), 200, 'SUCCESS');
  return { userName, password, token: login.json.data.token };
}

async function stampFor(key, tenant) {
  return expectStatus(await request('/v1/tenant/profile/change-password/request', { key, token: tenant.token }), 200, 'SUCCESS').json.data;
}

/** One timed change per call; the stamp request before it is not timed. */
async function timedChange(key, tenant) {
  const concurrencyStamp = await stampFor(key, tenant);
  const newPassword = `violet tractor ${randomBytes(6).toString('hex')}`;
  const reply = expectStatus(
    await request('/v1/tenant/profile/change-password', {
      method: 'PUT',
      key,
      token: tenant.token,
      body: { existingPassword: tenant.password, newPassword, concurrencyStamp },
    }),
    200,
    'SUCCESS',
  );
  tenant.password = newPassword;
  return reply.ms;
}

async function changesAtConcurrency(key, concurrency, perWorker) {
  const tenants = await Promise.all(Array.from({ length: concurrency }, () => newTenant(key)));
  for (const tenant of tenants) for (let i = 0; i < 5; i++) await timedChange(key, tenant);
  const samples = [];
  const started = performance.now();
  await Promise.all(
    tenants.map(async (tenant) => {
      for (let i = 0; i < perWorker && Date.now() < DEADLINE; i++) samples.push(await timedChange(key, tenant));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ...summarize(samples), throughputPerSecond: samples.length / seconds };
}

async function main() {
  const server = await startLocalServer({ script: 'bench/worker.ts', port: PORT });
  BASE = server.base;
  try {
    const key = server.apiKey;
    // Warm up the isolate, the Durable Object and D1 before measuring anything.
    const warm = await newTenant(key);
    await timedChange(key, warm);

    // Every figure below is sampled in the same rounds, interleaved, so drift in the machine's load
    // affects them alike and their ratios stay meaningful.
    const changeTenant = await newTenant(key);
    // Fill the tenant's password history, so every timed change checks a full one.
    for (let i = 0; i < 5; i++) await timedChange(key, changeTenant);
    const loginTenant = await newTenant(key);
    const locked = await newTenant(key);
    const stale = crypto.randomUUID().toUpperCase();
    const lockedChange = (body) => request('/v1/tenant/profile/change-password', { method: 'PUT', key, token: locked.token, body });
    for (let i = 0; i < 5; i++) {
      await lockedChange({ existingPassword: `wrong ${i}`, newPassword: 'a new violet tractor', concurrencyStamp: await stampFor(key, locked) });
    }
    const lockedStamp = await stampFor(key, locked);
    const put = (options) => request('/v1/tenant/profile/change-password', { method: 'PUT', ...options });

    const probes = {
      empty: async () => (await request('/__bench/empty')).ms,
      empty_with_app_headers: async () => (await request('/__bench/empty-with-app-headers')).ms,
      derive_one: async () => (await request('/__bench/derive-one')).ms,
      floor: async () => (await request('/__bench/floor')).ms,
      verify_and_hash: async () => (await request('/__bench/verify-and-hash')).ms,
      ...Object.fromEntries(['kv', 'd1', 'durable-object', 'log', 'app-no-key'].map((part) => [part, async () => (await request(`/__bench/${part}`)).ms])),
      no_key: async () => expectStatus(await put({ body: {} }), 401, 'UNAUTHORIZED').ms,
      bad_key: async () => expectStatus(await put({ key: `${key}x`, body: {} }), 401, 'UNAUTHORIZED').ms,
      bad_token: async () => expectStatus(await put({ key, token: `${locked.token.slice(0, -4)}AAAA`, body: {} }), 401, 'UNAUTHORIZED').ms,
      stale_stamp: async () =>
        expectStatus(await lockedChange({ existingPassword: locked.password, newPassword: 'a new violet tractor', concurrencyStamp: stale }), 409, 'CHANGE_PASSWORD_FAILED').ms,
      policy_failure: async () =>
        expectStatus(await lockedChange({ existingPassword: locked.password, newPassword: 'short', concurrencyStamp: lockedStamp }), 400, 'INVALID_PARAM_NEW_PASSWORD').ms,
      throttled: async () =>
        expectStatus(await lockedChange({ existingPassword: locked.password, newPassword: 'a new violet tractor', concurrencyStamp: lockedStamp }), 429, 'TOO_MANY_ATTEMPTS').ms,
      login: async () => expectStatus(await request('/v1/login', { method: 'POST', key, body: { userName: loginTenant.userName, password: loginTenant.password } }), 200, 'SUCCESS').ms,
      stamp: async () => expectStatus(await request('/v1/tenant/profile/change-password/request', { key, token: loginTenant.token }), 200, 'SUCCESS').ms,
      register: async () =>
        expectStatus(await request('/v1/register', { method: 'POST', key, body: { userName: `bench-register-${randomBytes(8).toString('hex')}@example.com`, password: 'a violet tractor', firstName: 'Ada', lastName: 'Lovelace' } }), 201, 'SUCCESS').ms,
      change: () => timedChange(key, changeTenant),
    };
    const samples = Object.fromEntries(Object.keys(probes).map((name) => [name, []]));
    let changeMs = 0;
    for (let round = 0; round < ITERATIONS && Date.now() < DEADLINE; round++) {
      for (const [name, probe] of Object.entries(probes)) {
        const ms = await probe();
        samples[name].push(ms);
        if (name === 'change') changeMs += ms;
      }
    }
    const stats = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summarize(values)]));
    const empty = stats.empty;
    const derivation = stats.derive_one.p50 - empty.p50;
    const floor = stats.floor.p50 - empty.p50;
    const verifyAndHash = stats.verify_and_hash.p50 - empty.p50;
    const change1 = { ...stats.change, throughputPerSecond: samples.change.length / (changeMs / 1000) };
    const change2 = await changesAtConcurrency(key, 2, Math.ceil(ITERATIONS / 2));
    const parts = Object.fromEntries(['kv', 'd1', 'durable-object', 'log', 'app-no-key'].map((part) => [part, stats[part]]));
    const rejections = Object.fromEntries(['no_key', 'bad_key', 'bad_token', 'stale_stamp', 'policy_failure', 'throttled'].map((name) => [name, stats[name]]));
    const others = { login: stats.login, stamp: stats.stamp, register: stats.register };
    const deriveOne = stats.derive_one;
    const floorRequest = stats.floor;
    const overDerivation = (stats) => (stats.p50 - empty.p50) / derivation;
    const perOperation = (stats) => (stats.p50 - empty.p50) / PROBE_REPEAT;
    const rows = [
      ['empty round trip', empty, null],
      ['empty round trip, app headers (incl. app)', stats.empty_with_app_headers, overDerivation(stats.empty_with_app_headers)],
      ['one PBKDF2 derivation (request)', deriveOne, null],
      ['verify + hash (request)', stats.verify_and_hash, null],
      ['floor: verify + 4 history + hash (request)', floorRequest, null],
      ...Object.entries(parts).map(([name, stats]) => [`${PROBE_REPEAT} x ${name} (request)`, stats, perOperation(stats) / derivation]),
      ['change, concurrency 1', change1, overDerivation(change1)],
      ['change, concurrency 2', change2, overDerivation(change2)],
      ...Object.entries(rejections).map(([name, stats]) => [`rejection: ${name}`, stats, overDerivation(stats)]),
      ...Object.entries(others).map(([name, stats]) => [name, stats, overDerivation(stats)]),
    ];
    console.log('figure                               n    p50 ms   p95 ms   p99 ms   (p50 - empty) / derivation');
    for (const [name, stats, ratio] of rows) {
      console.log(
        `${name.padEnd(36)} ${String(stats.n).padStart(3)} ${stats.p50.toFixed(2).padStart(8)} ${stats.p95.toFixed(2).padStart(8)} ${stats.p99.toFixed(2).padStart(8)}   ${ratio === null ? '' : ratio.toFixed(3)}`,
      );
    }
    const worst = Object.entries(rejections).sort((a, b) => b[1].p50 - a[1].p50)[0];
    const figures = {
      derivation_ms: derivation,
      floor_ms: floor,
      verify_and_hash_ms: verifyAndHash,
      empty_round_trip_ms: empty.p50,
      empty_with_app_headers_over_derivation: overDerivation(stats.empty_with_app_headers),
      change_c1: change1,
      change_c2: change2,
      change_over_floor: change1.p50 / (floor + empty.p50),
      change_over_verify_and_hash: change1.p50 / (verifyAndHash + empty.p50),
      rejections: Object.fromEntries(Object.entries(rejections).map(([name, stats]) => [name, { ...stats, over_derivation: overDerivation(stats) }])),
      one_operation_ms: Object.fromEntries(Object.entries(parts).map(([name, stats]) => [name, perOperation(stats)])),
      one_operation_over_derivation: Object.fromEntries(Object.entries(parts).map(([name, stats]) => [name, perOperation(stats) / derivation])),
      worst_rejection: worst[0],
      worst_rejection_over_derivation: overDerivation(worst[1]),
      login: { ...others.login, over_derivation: overDerivation(others.login) },
      stamp: { ...others.stamp, over_derivation: overDerivation(others.stamp) },
      register: { ...others.register, over_derivation: overDerivation(others.register) },
    };
    console.log(`\nchange_over_floor ${figures.change_over_floor.toFixed(3)} (target <= 1.10); worst rejection ${worst[0]} at ${figures.worst_rejection_over_derivation.toFixed(3)} of a derivation (target < 0.05)`);
    console.log(JSON.stringify(figures));
  } finally {
    server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
