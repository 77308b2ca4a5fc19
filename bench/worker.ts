// The production worker plus two measuring routes, served only by `npm run bench`; never deployed.
import { hashPassword, verifyPassword } from '../src/auth/password';
import worker from '../src/index';

export { TenantSessions } from '../src/index';

// Random values may not be made at start-up in Workers, so the sample hash is made on first use.
let sampleHash: Promise<string> | undefined;
const SAMPLE = 'bench passphrase for the floor';
const sample = () => (sampleHash ??= hashPassword(SAMPLE));

const json = () => new Response('{}', { headers: { 'Content-Type': 'application/json' } });

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/__bench/empty') return json();
    if (pathname === '/__bench/derive-one') {
      await verifyPassword(SAMPLE, await sample());
      return json();
    }
    if (pathname === '/__bench/floor') {
      // What a change must derive: one verify of the existing password and one hash of the new one.
      await verifyPassword(SAMPLE, await sample());
      await hashPassword('the new bench passphrase');
      return json();
    }
    // One storage operation or one log line each, to attribute where a request's time goes.
    if (pathname === '/__bench/kv') {
      await env.API_KEYS.get('apikey:bench-probe', { cacheTtl: 60 });
      return json();
    }
    if (pathname === '/__bench/d1') {
      await env.DB.prepare('SELECT id FROM tenants WHERE id = ?').bind('bench-probe').first();
      return json();
    }
    if (pathname === '/__bench/durable-object') {
      await env.TENANT_SESSIONS.get(env.TENANT_SESSIONS.idFromName('tenant:bench-probe')).validateSession('x', 'y');
      return json();
    }
    if (pathname === '/__bench/log') {
      console.log(JSON.stringify({ event: 'bench.probe', requestId: crypto.randomUUID() }));
      return json();
    }
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
