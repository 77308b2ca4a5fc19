import type { z } from '@hono/zod-openapi';
import type { PresentedSession } from '../auth/session-token';
import { tokenRefused } from '../auth/unauthorized';
import { ApiError } from '../errors';
import type { SessionInfo } from '../schemas';
import type { Deps } from './deps';

/**
 * The calling session and when it ends, validated in the same Durable Object call that reads its
 * times: one round trip, and nothing asked of D1.
 */
export async function describeSession(deps: Pick<Deps, 'sessionsOf' | 'log'>, presented: PresentedSession): Promise<z.output<typeof SessionInfo>> {
  let described: Awaited<ReturnType<ReturnType<Deps['sessionsOf']>['describeSession']>>;
  try {
    described = await deps.sessionsOf(presented.tenantId).describeSession(presented);
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
  if (described.verdict !== 'valid') {
    const reason = described.verdict === 'absent' ? 'unknown' : described.verdict;
    deps.log('warn', 'auth.session.rejected', { reason, tenantId: presented.tenantId });
    throw tokenRefused(reason);
  }
  return {
    tenantId: presented.tenantId,
    expiresAt: new Date(described.expiresAt).toISOString(),
    idleExpiresAt: new Date(described.idleExpiresAt).toISOString(),
  };
}
