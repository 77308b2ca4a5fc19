// The production worker plus two measuring routes, served only by `npm run bench`; never deployed.
import { hashPassword, verifyPassword } from '../src/auth/password';
import worker from '../src/index';

export { TenantSessions } from '../src/index';

// Random values may not be made at start-up in Workers, so the sample hash is made on first use.
let sampleHash: Promise<string> | undefined;
const SAMPLE = 'bench passphrase for the floor';
const sample = () => (sampleHash ??= hashPassword(SAMPLE));

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/__bench/empty') return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    if (pathname === '/__bench/derive-one') {
      await verifyPassword(SAMPLE, await sample());
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    }
    if (pathname === '/__bench/floor') {
      // What a change must derive: one verify of the existing password and one hash of the new one.
      await verifyPassword(SAMPLE, await sample());
      await hashPassword('the new bench passphrase');
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    }
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
