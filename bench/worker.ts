// The production worker plus measuring routes, served only by `npm run bench`; never deployed.
import { hashPassword, verifyPassword } from '../src/auth/password';
import { PASSWORD_HISTORY_SIZE } from '../src/config';
import worker from '../src/index';

export { TenantSessions } from '../src/index';

// Random values may not be made at start-up in Workers, so the sample hash is made on first use.
let sampleHash: Promise<string> | undefined;
const SAMPLE = 'bench passphrase for the floor';
const sample = () => (sampleHash ??= hashPassword(SAMPLE));

const PROBE_REPEAT = 10; // bench/bench.mjs divides by the same number
const PROBES: Record<string, (env: Env) => Promise<unknown>> = {
  '/__bench/kv': (env) => env.API_KEYS.get('apikey:bench-probe', { cacheTtl: 60 }),
  '/__bench/d1': (env) => env.DB.prepare('SELECT id FROM tenants WHERE id = ?').bind('bench-probe').first(),
  '/__bench/durable-object': (env) =>
    env.TENANT_SESSIONS.get(env.TENANT_SESSIONS.idFromName('tenant:bench-probe')).validateSession('x', 'y'),
  // The whole app answering a request without a key, in-process: no network, no storage.
  '/__bench/app-no-key': async (env) =>
    worker.fetch(new Request('http://bench/v1/tenant/profile/change-password', { method: 'PUT' }), env, {
      waitUntil: () => {},
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext),
  '/__bench/log': async () => console.log(JSON.stringify({ event: 'bench.probe', requestId: crypto.randomUUID() })),
};

const json = () => new Response('{}', { headers: { 'Content-Type': 'application/json' } });

export default {
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
    if (pathname === '/__bench/floor') {
      // What a change must derive once the tenant has a full history: one verify of the existing
      // password, one check of the new one against each earlier password, and one hash.
      await verifyPassword(SAMPLE, await sample());
      for (let i = 0; i < PASSWORD_HISTORY_SIZE - 1; i++) await verifyPassword('the new bench passphrase', await sample());
      await hashPassword('the new bench passphrase');
      return json();
    }
    // PROBE_REPEAT storage operations or log lines each, to attribute where a request's time goes.
    const probe = PROBES[pathname];
    if (probe) {
      for (let i = 0; i < PROBE_REPEAT; i++) await probe(env);
      return json();
    }
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
