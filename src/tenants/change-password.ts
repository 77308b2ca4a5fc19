import type { z } from '@hono/zod-openapi';
import { CHANGE_PASSWORD_SCOPE, reserveAttempt } from '../auth/attempts';
import { hashPassword, verifyPassword } from '../auth/password';
import { isRecentPassword } from '../auth/password-history';
import { findPasswordPolicyViolation } from '../auth/password-policy';
import { PASSWORD_HISTORY_SIZE } from '../config';
import type { SessionIdentity } from '../context';
import type { Tenant } from '../db/schema';
import { ApiError, describeError } from '../errors';
import type { ChangePasswordBody } from '../schemas';
import type { TenantSessions } from '../sessions/tenant-sessions';
import type { Deps } from './deps';
import {
  commitPasswordChange,
  passwordChangeCommitted,
  recentPasswordHashes,
  recordAuditEvent,
  type PasswordChange,
} from './repository';
import { loadChangeableTenant, newStamp, requireCurrentStamp } from './stamp';

type ChangeDeps = Pick<Deps, 'db' | 'sessionsOf' | 'settings' | 'pepper' | 'requestId' | 'log'>;

/**
 * Replaces the password of the session's tenant if the existing one matches and the stamp is
 * current; every other session of the tenant is revoked. Returns the tenant id.
 */
export async function changePassword(
  deps: ChangeDeps,
  session: SessionIdentity,
  request: z.output<typeof ChangePasswordBody>,
): Promise<string> {
  const now = Date.now();
  const stamp = request.concurrencyStamp.toUpperCase();
  const stampsIssuedAfter = now - deps.settings.stampTtlMs;

  // Cheap rejections first: none of these runs PBKDF2.
  const tenant = await loadChangeableTenant(deps.db, session.tenantId);
  requireCurrentStamp(tenant, stamp, stampsIssuedAfter);
  requirePolicy(tenant, request, deps.settings.passwordMinLength);

  const sessions = deps.sessionsOf(tenant.id);
  const keepSessionId = session.sessionId;
  await reserveAttempt(sessions, CHANGE_PASSWORD_SCOPE, { stamp, tenantId: tenant.id, keepSessionId, requestId: deps.requestId });
  let verified = false;
  let committed = false;
  try {
    // Read alongside the derivation, so the history costs no extra round trip.
    const history = recentPasswordHashes(deps.db, tenant.id, PASSWORD_HISTORY_SIZE - 1);
    history.catch(() => {});
    verified = await verifyPassword(request.existingPassword, tenant.passwordHash, deps.pepper);
    if (!verified) await rejectMismatch(deps, tenant.id, now);
    await requireNotRecent(request.newPassword, await history, deps.pepper);
    committed = await commitOrReadBack(deps, {
      tenantId: tenant.id,
      presentedStamp: stamp,
      stampsIssuedAfter,
      previousHash: tenant.passwordHash,
      newHash: await hashPassword(request.newPassword, deps.pepper),
      rotatedStamp: newStamp(),
      now,
      requestId: deps.requestId,
    });
    if (!committed) throw new ApiError('CHANGE_PASSWORD_FAILED');
    deps.log('info', 'password.change.succeeded', { tenantId: tenant.id });
  } finally {
    await settleAttempt(deps, sessions, { verified, stamp, committed, keepSessionId });
  }
  return tenant.id;
}

function requirePolicy(tenant: Tenant, request: z.output<typeof ChangePasswordBody>, minLength: number): void {
  const violation = findPasswordPolicyViolation(request.newPassword, minLength, {
    userName: tenant.userName,
    firstName: tenant.firstName,
    lastName: tenant.lastName,
    existingPassword: request.existingPassword,
  });
  if (violation) {
    throw new ApiError('INVALID_PARAM_NEW_PASSWORD', { message: `newPassword ${violation}`, field: 'newPassword' });
  }
}

/** Runs only after the existing password verified: each history entry costs a derivation. */
async function requireNotRecent(newPassword: string, history: string[], pepper: string | undefined): Promise<void> {
  if (await isRecentPassword(newPassword, history, pepper)) {
    throw new ApiError('INVALID_PARAM_NEW_PASSWORD', {
      message: `newPassword must not be one of your last ${PASSWORD_HISTORY_SIZE} passwords`,
      field: 'newPassword',
    });
  }
}

/** Records the failed check in the audit trail, then refuses. */
async function rejectMismatch(deps: ChangeDeps, tenantId: string, now: number): Promise<never> {
  const { requestId } = deps;
  await recordAuditEvent(deps.db, { tenantId, event: 'password.change', outcome: 'mismatch_existing_password', requestId, now });
  deps.log('warn', 'password.change.mismatch', { tenantId });
  throw new ApiError('MISMATCH_EXISTING_PASSWORD', { field: 'existingPassword' });
}

/**
 * Runs the conditional batch. If D1 reports an error, the write may still have committed: the
 * outcome is decided by reading the row back, never by retrying, and never reported as success
 * unless the read shows the commit.
 */
async function commitOrReadBack(deps: ChangeDeps, change: PasswordChange): Promise<boolean> {
  try {
    return await commitPasswordChange(deps.db, change);
  } catch (cause) {
    deps.log('error', 'password.change.commit_uncertain', { tenantId: change.tenantId, cause: describeError(cause) });
    if (await passwordChangeCommitted(deps.db, change.tenantId, change.rotatedStamp).catch(() => false)) return true;
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

/**
 * Reports the outcome to the tenant's Durable Object, which releases the stamp and, after a commit,
 * revokes every other session. The password is committed by then, so a failure here must not turn
 * success into an error: the object's alarm settles the change from D1 within CHANGE_CLAIM_HOLD_MS,
 * and while the object is unreachable no session of the tenant validates anyway.
 */
async function settleAttempt(
  deps: ChangeDeps,
  sessions: DurableObjectStub<TenantSessions>,
  result: { verified: boolean; stamp: string; committed: boolean; keepSessionId: string },
): Promise<void> {
  try {
    const revoked = await sessions.finishAttempt(CHANGE_PASSWORD_SCOPE, result);
    if (result.committed) deps.log('info', 'sessions.revoked_others', { revoked });
  } catch (cause) {
    deps.log('error', 'password.change.settle_failed', { committed: result.committed, cause: describeError(cause) });
  }
}
