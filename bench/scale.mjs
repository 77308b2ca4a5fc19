// npm run bench:scale: the same change and login workload against a small store and a large one
// (a million tenants), served side by side and sampled in the same rounds, so their ratios hold
// whatever the machine's load does; and a change that revokes 999 other sessions against one that
// revokes none. The last line is one JSON object (docs/performance.md, "Cost and data size").
import { randomBytes } from 'node:crypto';
import { check, memoryFolder, request, startLocalServer, summarize } from '../scripts/lib/local-server.mjs';
import { seedStore } from './scale-seed.mjs';

const PORT = Number(process.env.BENCH_PORT ?? 8799);
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 60);
const SMALL = { tenants: 100, businesses: 1, auditRows: 300 };
const LARGE = {
  tenants: Number(process.env.BENCH_SCALE_TENANTS ?? 1_000_000),
  businesses: 10_000,
  auditRows: Number(process.env.BENCH_SCALE_AUDIT_ROWS ?? 3_000_000),
};
const MANY_SESSIONS = 1_000;
// As in wrangler.toml: the timed tenants change this often first, so each change checks a full history.
const PASSWORD_HISTORY = 5;
const STARTED = Date.now();
// The rounds stop here, so the whole run (seeding included) stays under ten minutes.
const DEADLINE = STARTED + 9 * 60_000;

function expectStatus(reply, status, code) {
  check(reply.status === status && reply.json?.status === code, `expected ${status} ${code}, got ${reply.status} ${JSON.stringify(reply.json)}`);
  return reply;
}

const newPassword = () => `violet tractor ${randomBytes(6).toString('hex')}`;

/** The bench's client of one server: a tenant of the key's business, logged in once, and its timed calls. */
function clientOf(server) {
  const call = (path, options = {}) => request(server.base, path, { key: server.apiKey, ...options });

  async function logIn(tenant) {
    const body = { userName: tenant.userName, password: tenant.password };
    const headers = tenant.device ? { 'X-Device-Token': tenant.device } : {};
    const reply = expectStatus(await call('/v1/login', { method: 'POST', body, headers }), 200, 'SUCCESS');
    tenant.device = reply.json.data.deviceToken;
    return reply;
  }

  async function newTenant() {
    const tenant = { userName: `scale-${randomBytes(8).toString('hex')}@example.com`, password: newPassword() };
    const body = { ...tenant, firstName: 'Ada', lastName: 'Lovelace' };
    tenant.id = expectStatus(await call('/v1/register', { method: 'POST', body }), 201, 'SUCCESS').json.data;
    tenant.token = (await logIn(tenant)).json.data.token;
    return tenant;
  }

  /** One timed change; the stamp request before it is not timed. */
  async function change(tenant) {
    const stamp = expectStatus(await call('/v1/tenant/profile/change-password/request', { token: tenant.token }), 200, 'SUCCESS').json.data;
    const body = { existingPassword: tenant.password, newPassword: newPassword(), concurrencyStamp: stamp };
    const reply = expectStatus(await call('/v1/tenant/profile/change-password', { method: 'PUT', token: tenant.token, body }), 200, 'SUCCESS');
    tenant.password = body.newPassword;
    return reply.ms;
  }

  /** A tenant whose history is full, as every timed change's is. */
  async function changingTenant() {
    const tenant = await newTenant();
    for (let i = 0; i < PASSWORD_HISTORY; i++) await change(tenant);
    return tenant;
  }

  const sessionsOf = (tenant) => ({ business: 'default', tenantId: tenant.id });
  /** Opens `count` more sessions of the tenant through its Durable Object (bench/sessions.ts), untimed. */
  const openSessions = async (tenant, count) =>
    (await call('/__bench/sessions', { method: 'POST', body: { ...sessionsOf(tenant), count } })).json.sessions;
  const liveOf = async (tenant, sessions) => (await call('/__bench/sessions/live', { method: 'POST', body: { ...sessionsOf(tenant), sessions } })).json.live;

  return { newTenant, changingTenant, change, login: async (tenant) => (await logIn(tenant)).ms, openSessions, liveOf };
}

const seeded = {};
async function start(name, port, size) {
  const started = Date.now();
  const server = await startLocalServer({
    script: 'bench/worker.ts',
    port,
    storeIn: memoryFolder(),
    seed: (state) => {
      seeded[name] = seedStore(state, size);
    },
  });
  console.log(`${name} store: ${JSON.stringify(seeded[name])}, seeded and served in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return server;
}

async function main() {
  const servers = [];
  try {
    servers.push(await start('small', PORT, SMALL));
    servers.push(await start('large', PORT + 1, LARGE));
    const [small, large] = servers.map(clientOf);

    // Warm each isolate, its Durable Objects and D1 (the large store's pages into memory) before timing.
    for (const client of [small, large]) await client.change(await client.newTenant());
    const tenants = {
      smallChange: await small.changingTenant(),
      largeChange: await large.changingTenant(),
      smallLogin: await small.newTenant(),
      largeLogin: await large.newTenant(),
      manySessions: await large.changingTenant(),
    };

    const samples = { small_change: [], large_change: [], small_login: [], large_login: [], many_sessions_change: [] };
    let sessionsRevoked = null;
    for (let round = 0; round < ROUNDS && Date.now() < DEADLINE; round++) {
      samples.small_change.push(await small.change(tenants.smallChange));
      samples.large_change.push(await large.change(tenants.largeChange));
      samples.small_login.push(await small.login(tenants.smallLogin));
      samples.large_login.push(await large.login(tenants.largeLogin));
      // Its own session and MANY_SESSIONS - 1 others; the change keeps the first and revokes the rest.
      const others = await large.openSessions(tenants.manySessions, MANY_SESSIONS - 1);
      samples.many_sessions_change.push(await large.change(tenants.manySessions));
      if (sessionsRevoked === null) sessionsRevoked = others.length - (await large.liveOf(tenants.manySessions, others));
    }

    const stats = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summarize(values)]));
    console.log('\nfigure                          n    p50 ms   p95 ms   p99 ms');
    for (const [name, found] of Object.entries(stats)) {
      console.log(`${name.padEnd(30)} ${String(found.n).padStart(3)} ${found.p50.toFixed(2).padStart(8)} ${found.p95.toFixed(2).padStart(8)} ${found.p99.toFixed(2).padStart(8)}`);
    }
    const figures = {
      tenants: seeded.large.tenants,
      businesses: seeded.large.businesses,
      audit_rows: seeded.large.audit_rows,
      history_rows: seeded.large.history_rows,
      small_store: { tenants: seeded.small.tenants, audit_rows: seeded.small.audit_rows },
      change_p50_ratio: stats.large_change.p50 / stats.small_change.p50,
      login_p50_ratio: stats.large_login.p50 / stats.small_login.p50,
      sessions_revoked: sessionsRevoked,
      many_sessions_change_ratio: stats.many_sessions_change.p50 / stats.large_change.p50,
      bytes_per_row: seeded.large.bytes,
      rounds: stats.large_change.n,
      stats,
      seconds: Math.round((Date.now() - STARTED) / 1000),
    };
    console.log(
      `change ${figures.change_p50_ratio.toFixed(3)}, login ${figures.login_p50_ratio.toFixed(3)} (targets <= 1.10); ` +
        `${sessionsRevoked} sessions revoked, ${figures.many_sessions_change_ratio.toFixed(3)} of a plain change (target <= 1.25)`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    for (const server of servers) server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
