import { ApiError } from '../errors';
import type { PendingChange } from '../sessions/stamp-claims';
import type { TenantSessions } from '../sessions/tenant-sessions';

export const LOGIN_SCOPE = 'login';
export const CHANGE_PASSWORD_SCOPE = 'change-password';

/**
 * Reserves a password check in the Durable Object, or throws: TOO_MANY_ATTEMPTS (with Retry-After)
 * while locked out, CHANGE_PASSWORD_FAILED when another request holds the same stamp.
 */
export async function reserveAttempt(
  counter: DurableObjectStub<TenantSessions>,
  scope: string,
  change?: PendingChange,
): Promise<void> {
  let decision;
  try {
    decision = await counter.beginAttempt(scope, change);
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
  if (decision.outcome === 'locked') {
    throw new ApiError('TOO_MANY_ATTEMPTS', {
      message: `Too many failed attempts. Try again in ${decision.retryAfterSeconds} seconds.`,
      headers: { 'Retry-After': String(decision.retryAfterSeconds) },
    });
  }
  if (decision.outcome === 'busy') {
    throw new ApiError('CHANGE_PASSWORD_FAILED', {
      message: 'Another request is already using this concurrency stamp. Request a new one.',
    });
  }
}
