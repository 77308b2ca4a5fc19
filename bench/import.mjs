// The import of existing tenants (POST /v1/admin/tenants/import) against one login, in one run:
// `npm run bench` includes it; `node bench/import.mjs` runs this part alone on its own server.
// An import derives no password and writes its rows in one D1 statement, so 1,000 tenants should
// cost far less than one login (one PBKDF2 derivation), let alone one login per tenant.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { check, endUserAddress, memoryFolder, request as send, startLocalServer, summarize } from '../scripts/lib/local-server.mjs';
import { DISTANCE_HEADER, parseStoreCalls, STORE_CALLS_HEADER } from './round-trips.mjs';

export const IMPORT_SIZE = 1000;
const ROUNDS = Number(process.env.BENCH_IMPORT_ROUNDS ?? 10);
// The round-trip count: imports with every D1 and Durable Object call this much further away.
const DISTANCE_MS = Number(process.env.BENCH_DISTANCE_MS ?? 200);
const DISTANCE_ROUNDS = 5;
// An ASP.NET Core Identity V3 hash (HMAC-SHA-512, 100,000 iterations): a vector of src/auth/password.test.ts.
const V3_HASH = 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==';

/** `size` tenants nobody has imported yet, as an export from AspNetUsers gives them. */
export function importBody(size = IMPORT_SIZE) {
  const run = randomBytes(6).toString('hex');
  return {
    tenants: Array.from({ length: size }, (_, i) => ({
      userName: `bench-import-${run}-${i}@example.com`,
      firstName: 'Ada',
      lastName: 'Lovelace',
      phoneNumber: '+15551234567',
      passwordHash: V3_HASH,
    })),
  };
}

/**
 * Interleaved rounds of one login (a known device, so never throttled) and one import of
 * IMPORT_SIZE new tenants, through `request(path, options)` with server key `key`. Returns both
 * distributions, their ratio (p50 over p50, within the run) and the store calls of an import.
 */
export async function measureImport(request, key, rounds = ROUNDS) {
  const tenant = { userName: `bench-import-login-${randomBytes(6).toString('hex')}@example.com`, password: `violet tractor ${randomBytes(6).toString('hex')}` };
  const registered = await request('/v1/register', {
    method: 'POST',
    key,
    body: { ...tenant, firstName: 'Ada', lastName: 'Lovelace' },
    headers: { 'X-Client-Address': endUserAddress() },
  });
  check(registered.status === 201, `register: ${registered.status}`);
  let device;
  const login = async () => {
    const reply = await request('/v1/login', { method: 'POST', key, body: tenant, headers: device ? { 'X-Device-Token': device } : {} });
    check(reply.status === 200, `login: ${reply.status} ${JSON.stringify(reply.json)}`);
    device = reply.json.data.deviceToken;
    return reply.ms;
  };
  let storeCalls = null;
  const importOnce = async (distanceMs) => {
    const headers = distanceMs === undefined ? {} : { [DISTANCE_HEADER]: String(distanceMs) };
    const reply = await request('/v1/admin/tenants/import', { method: 'POST', key, body: importBody(), headers });
    check(reply.status === 200 && reply.json?.data?.imported?.length === IMPORT_SIZE, `import: ${reply.status} ${JSON.stringify(reply.json?.errors)}`);
    storeCalls = parseStoreCalls(reply.headers.get(STORE_CALLS_HEADER)) ?? storeCalls;
    return reply.ms;
  };
  // Warm-up: the first login builds the isolate's caches, the first import its JSON and D1 paths.
  await login();
  await importOnce();
  const samples = { login: [], import: [] };
  for (let round = 0; round < rounds; round++) {
    samples.login.push(await login());
    samples.import.push(await importOnce());
  }
  // Sequential store calls: how much slower an import gets per DISTANCE_MS added to each call.
  const near = [];
  const far = [];
  for (let round = 0; round < DISTANCE_ROUNDS; round++) {
    near.push(await importOnce(0));
    far.push(await importOnce(DISTANCE_MS));
  }
  const sequential = (summarize(far).p50 - summarize(near).p50) / DISTANCE_MS;
  const loginStats = summarize(samples.login);
  const importStats = summarize(samples.import);
  const ratio = importStats.p50 / loginStats.p50;
  return {
    import_size: IMPORT_SIZE,
    login: loginStats,
    import: importStats,
    import_over_login: ratio,
    per_tenant_over_login: ratio / IMPORT_SIZE,
    import_store_calls: storeCalls,
    import_sequential_store_calls: Number(sequential.toFixed(2)),
  };
}

export function printImport(figures) {
  console.log(
    `import of ${figures.import_size} tenants: p50 ${figures.import.p50.toFixed(1)} ms (p95 ${figures.import.p95.toFixed(1)}); ` +
      `one login p50 ${figures.login.p50.toFixed(1)} ms; import / one login ${figures.import_over_login.toFixed(3)}; ` +
      `per imported tenant / one login ${figures.per_tenant_over_login.toFixed(5)}; ` +
      `store calls of an import ${figures.import_store_calls ? `${figures.import_store_calls.d1} D1, ${figures.import_store_calls.durable_object} DO` : 'unknown'}, ` +
      `${figures.import_sequential_store_calls} in sequence (target <= 1)`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startLocalServer({
    script: 'bench/worker.ts',
    port: Number(process.env.BENCH_PORT ?? 8799),
    storeIn: memoryFolder(),
    keyKind: 'server',
  });
  try {
    const figures = await measureImport((path, options) => send(server.base, path, options), server.apiKey);
    printImport(figures);
    console.log(JSON.stringify({ import: figures }));
  } finally {
    server.stop();
  }
}
