import type { SessionIdentity } from '../auth/session-token';
import type { Deps } from './deps';

/** Revokes the calling session; the tenant's other sessions stay. */
export async function logOut(deps: Pick<Deps, 'sessionsOf' | 'log'>, session: SessionIdentity): Promise<void> {
  await deps.sessionsOf(session.tenantId).revokeSession(session.sessionId);
  deps.log('info', 'auth.logout', { tenantId: session.tenantId, sessionId: session.sessionId });
}
