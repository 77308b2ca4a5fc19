import type { PresentedSession } from '../auth/session-token';
import { ApiError } from '../errors';
import { tokenRefused } from './unauthorized';
import type { Log } from '../logging';
import type { LoginCheckRequest } from '../sessions/login-checks';
import type { PendingChange } from '../sessions/stamp-claims';
import type { ChangeAdmission, LoginAdmission, TenantSessions } from '../sessions/tenant-sessions';

type Stub = DurableObjectStub<TenantSessions>;

/** The refusal of a check while its counter is locked out: 429, with when to try again. */
export function tooManyAttempts(retryAfterSeconds: number, headers: Record<string, string> = {}): ApiError {
  return new ApiError('TOO_MANY_ATTEMPTS', {
    message: `Too many failed attempts. Try again in ${retryAfterSeconds} seconds.`,
    headers: { ...headers, 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Asks the Durable Object to admit a check; it being unreachable is a server fault. */
async function ask<T>(question: () => Promise<unknown>): Promise<T> {
  try {
    // RPC stubs type a union result as a union of promises; it is the object's own return type.
    return (await question()) as T;
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

/** Asks the user name's login object to admit a login check (see TenantSessions.beginLogin); unreachable, it is a server fault. */
export function beginLogin(throttle: Stub, request: LoginCheckRequest): Promise<LoginAdmission> {
  return ask<LoginAdmission>(() => throttle.beginLogin(request));
}

/**
 * The admitted check, or TOO_MANY_ATTEMPTS (with Retry-After) while its counter is locked, or
 * `refusal` when only a known device was welcome.
 */
export function requireAdmitted(admission: LoginAdmission, refusal: () => ApiError): Extract<LoginAdmission, { outcome: 'admitted' }> {
  if (admission.outcome === 'locked') throw tooManyAttempts(admission.retryAfterSeconds);
  if (admission.outcome === 'unknownDevice') throw refusal();
  // A request naming the tenant facts is always judged; one naming none is asked again with them.
  if (admission.outcome === 'undecided') throw new ApiError('SOMETHING_WENT_WRONG');
  return admission;
}

/**
 * Validates the session and admits a change's check in the tenant's object, in one call, or throws:
 * UNAUTHORIZED when the session is not valid (as `requireSession` would); TOO_MANY_ATTEMPTS (with
 * Retry-After) when the session's budget is spent, which has revoked the session;
 * CHANGE_PASSWORD_FAILED when another request holds the same stamp.
 */
export async function beginChangeCheck(
  sessions: Stub,
  presented: PresentedSession,
  change: Omit<PendingChange, 'keepSessionId'>,
  log: Log,
): Promise<{ checkId: string; deviceId: string | null }> {
  const admission = await ask<ChangeAdmission>(() => sessions.beginChange(presented, change));
  if (admission.outcome === 'unauthorized') {
    const reason = admission.reason === 'absent' ? 'unknown' : admission.reason;
    log('warn', 'auth.session.rejected', { reason, tenantId: presented.tenantId });
    throw tokenRefused(reason);
  }
  if (admission.outcome === 'locked') throw tooManyAttempts(admission.retryAfterSeconds);
  if (admission.outcome === 'busy') {
    throw new ApiError('CHANGE_PASSWORD_FAILED', {
      message: 'Another request is already using this concurrency stamp. Request a new one.',
    });
  }
  return admission;
}
