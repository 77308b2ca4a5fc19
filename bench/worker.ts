// The production worker plus measuring routes, served only by `npm run bench`; never deployed.
// Only here can a request ask for distant stores (bench/distance.ts); the shipped worker has no such switch.
import { hashPassword, verifyPassword } from '../src/auth/password';
import { findPasswordPolicyViolation } from '../src/auth/password-policy';
import worker from '../src/index';
import { atDistance } from './distance';
import { liveSessions, seedSessions } from './sessions';

export { ClientBudget, TenantSessions } from '../src/index';

// Random values may not be made at start-up in Workers, so the sample hash is made on first use.
let sampleHash: Promise<string> | undefined;
const SAMPLE = 'bench passphrase for the floor';
const sample = () => (sampleHash ??= hashPassword(SAMPLE));

const PROBE_REPEAT = 10; // bench/bench.mjs divides by the same number

/** 128 random printable ASCII characters: zxcvbn's slow case (no early match, many substitutions to try). */
function random128(): string {
  return String.fromCharCode(...crypto.getRandomValues(new Uint8Array(128)).map((byte) => 33 + (byte % 94)));
}
const BENCH_TENANT = { userName: 'ada.lovelace@example.com', firstName: 'Ada', lastName: 'Lovelace', business: 'bench' };
const PROBES: Record<string, (env: Env) => Promise<unknown>> = {
  '/__bench/kv': (env) => env.API_KEYS.get('apikey:bench-probe', { cacheTtl: 60 }),
  '/__bench/d1': (env) => env.DB.prepare('SELECT id FROM tenants WHERE id = ?').bind('bench-probe').first(),
  '/__bench/durable-object': (env) =>
    env.TENANT_SESSIONS.get(env.TENANT_SESSIONS.idFromName('tenant:bench:probe')).validateSession({
      sessionId: 'x',
      secretHash: 'y',
      business: 'bench',
    }),
  // The whole app answering a request without a key, in-process: no network, no storage.
  '/__bench/app-no-key': async (env) =>
    worker.fetch(new Request('http://bench/v1/tenant/profile/change-password', { method: 'PUT' }), env, {
      waitUntil: () => {},
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext),
  '/__bench/log': async () => console.log(JSON.stringify({ event: 'bench.probe', requestId: crypto.randomUUID() })),
  '/__bench/policy-128': () => findPasswordPolicyViolation(random128(), 8, BENCH_TENANT),
  // The typical case: a passphrase like the ones the bench's timed changes set.
  '/__bench/policy-passphrase': () => findPasswordPolicyViolation(`violet tractor ${crypto.randomUUID().slice(0, 12)}`, 8, BENCH_TENANT),
};

/** A request carrying this header (milliseconds) meets D1 and the Durable Objects that far away. */
const DISTANCE_HEADER = 'X-Bench-Distance-Ms';

/** The app's answer at that distance, telling how many store calls it made (X-Bench-Store-Calls: d1,durableObject). */
async function atDistanceFetch(request: Request, env: Env, ctx: ExecutionContext, delayMs: number): Promise<Response> {
  const distant = atDistance(env, delayMs);
  const answer = await worker.fetch(request, distant.env, ctx);
  const response = new Response(answer.body, answer);
  response.headers.set('X-Bench-Store-Calls', `${distant.calls.d1},${distant.calls.durableObject}`);
  return response;
}

const json = () => new Response('{}', { headers: { 'Content-Type': 'application/json' } });

export default {
  ...worker,
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/__bench/empty') return json();
    if (pathname === '/__bench/empty-with-app-headers') {
      // The empty answer, but carrying the headers and body size the app's rejections carry.
      const rejection = await worker.fetch(new Request('http://bench/v1/logout', { method: 'POST' }), env, ctx);
      return new Response(await rejection.text(), { status: 200, headers: rejection.headers });
    }
    if (pathname === '/__bench/derive-one') {
      await verifyPassword(SAMPLE, await sample());
      return json();
    }
    if (pathname === '/__bench/verify-and-hash') {
      await verifyPassword(SAMPLE, await sample());
      await hashPassword('the new bench passphrase');
      return json();
    }
    // PROBE_REPEAT storage operations or log lines each, to attribute where a request's time goes.
    const probe = PROBES[pathname];
    if (probe) {
      for (let i = 0; i < PROBE_REPEAT; i++) await probe(env);
      return json();
    }
    if (pathname === '/__bench/sessions' && request.method === 'POST') return Response.json(await seedSessions(env, await request.json()));
    if (pathname === '/__bench/sessions/live' && request.method === 'POST') return Response.json(await liveSessions(env, await request.json()));
    const distance = request.headers.get(DISTANCE_HEADER);
    if (distance !== null) return atDistanceFetch(request, env, ctx, Number(distance));
    return worker.fetch(request, env, ctx);
  },
  // wrangler.toml makes this worker the consumer of the webhook queues too.
  queue: worker.queue,
  scheduled: worker.scheduled,
} satisfies ExportedHandler<Env>;
