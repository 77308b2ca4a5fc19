// Many live sessions for one tenant in seconds, for npm run bench:scale: each made by the tenant's
// Durable Object's own createSession, as a login makes it, without the login's password check.
import { tenantSessions } from '../src/sessions/stub';

export interface SeededSession {
  sessionId: string;
  secretHash: string;
}

interface Tenant {
  business: string;
  tenantId: string;
}

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');

/** Opens `count` sessions of the tenant, as logins verified against its current password would. */
export async function seedSessions(env: Env, { business, tenantId, count }: Tenant & { count: number }): Promise<{ sessions: SeededSession[] }> {
  const row = await env.DB.prepare('SELECT password_changed_at AS at FROM tenants WHERE id = ?').bind(tenantId).first<{ at: number | null }>();
  const object = tenantSessions(env, business, tenantId);
  const expiresAt = Date.now() + 60 * 60 * 1000;
  const sessions: SeededSession[] = [];
  for (let i = 0; i < count; i++) {
    const session = { sessionId: hex(16), secretHash: hex(32) };
    if (!(await object.createSession({ ...session, business, expiresAt }, row?.at ?? 0))) throw new Error('session refused');
    sessions.push(session);
  }
  return { sessions };
}

/** How many of `sessions` the tenant's object still takes. */
export async function liveSessions(env: Env, { business, tenantId, sessions }: Tenant & { sessions: SeededSession[] }): Promise<{ live: number }> {
  const object = tenantSessions(env, business, tenantId);
  let live = 0;
  for (const session of sessions) if (await object.validateSession({ ...session, business })) live++;
  return { live };
}
