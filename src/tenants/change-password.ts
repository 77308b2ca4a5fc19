import type { z } from '@hono/zod-openapi';
import { beginChangeCheck } from '../auth/attempts';
import { hashPassword, newPasswordSalt, verifyPassword } from '../auth/password';
import { isRecentPassword, type EarlierPasswords } from '../auth/password-history';
import { findPasswordPolicyViolation } from '../auth/password-policy';
import type { PresentedSession } from '../auth/session-token';
import type { Tenant } from '../db/schema';
import { ApiError, describeError } from '../errors';
import { passwordChanged } from '../security-events';
import type { ChangePasswordBody } from '../schemas';
import type { CheckResult } from '../sessions/attempt-counter';
import type { TenantFacts } from '../sessions/login-checks';
import type { ChangeResult, TenantSessions } from '../sessions/tenant-sessions';
import type { Deps } from './deps';
import { confirmedForChange, readForChange, type TenantRead } from './change-read';
import { commitPasswordChange, passwordChangeCommittedAt, type CommittedChange, type PasswordChange } from '../db/tenants';
import { recordAuditEventBestEffort } from './audit';
import { newStamp } from './stamp';

type ChangeDeps = Pick<
  Deps,
  'db' | 'replicaDb' | 'business' | 'sessionsOf' | 'loginThrottleOf' | 'settings' | 'pepper' | 'requestId' | 'log' | 'sendEvent'
>;

/** A committed change (or reset), as the login object of the tenant's user name is told of it. */
export interface ChangeNote {
  userName: string;
  facts: TenantFacts;
}

/**
 * Replaces the password of the session's tenant if the session is valid, the existing password
 * matches and the stamp is current; every other session of the tenant is revoked. Returns the
 * tenant id. The session is validated in the same Durable Object call that admits the check, while
 * the tenant and its history are read from D1: `readAhead` is that read if already under way
 * (src/http/read-ahead.ts).
 */
export async function changePassword(
  deps: ChangeDeps,
  presented: PresentedSession,
  request: z.output<typeof ChangePasswordBody>,
  readAhead?: Promise<TenantRead>,
): Promise<string> {
  const now = Date.now();
  const stamp = request.concurrencyStamp.toUpperCase();
  const stampsIssuedAfter = now - deps.settings.stampTtlMs;
  const { tenantId, sessionId: keepSessionId } = presented;

  const read = readAhead ?? readForChange(deps, tenantId);
  // A refused session never awaits it.
  read.catch(() => {});
  const sessions = deps.sessionsOf(tenantId);
  const pending = { stamp, business: deps.business, tenantId, requestId: deps.requestId };
  const { checkId, deviceId } = await beginChangeCheck(sessions, presented, pending, deps.log);
  let result: CheckResult = 'abandoned';
  let committed = false;
  let uncertain = false;
  let note: ChangeNote | undefined;
  try {
    // Cheap rejections first: none of these runs PBKDF2, and an abandoned check counts for nothing.
    const { tenant, history } = await confirmedForChange(deps, tenantId, read, stamp, stampsIssuedAfter);
    await requirePolicy(tenant, request, deps);

    const { passwordHistory } = deps.settings;
    const verified = await verifyPassword(request.existingPassword, tenant.passwordHash, deps.pepper);
    result = verified ? 'verified' : 'failed';
    if (!verified) await rejectMismatch(deps, tenant.id, now);
    // The tenant's one salt makes this derivation also the history check; an imported tenant gets it now.
    const passwordSalt = tenant.passwordSalt ?? newPasswordSalt();
    const newHash = await hashPassword(request.newPassword, deps.pepper, passwordSalt);
    const earlier = { current: tenant.passwordHash, history };
    await requireNotRecent(request.newPassword, newHash, earlier, deps);
    // Written in the change's own batch, so the business hears of the change if and only if it commits.
    const event = passwordChanged({ businessId: deps.business, tenantId: tenant.id, requestId: deps.requestId, at: now });
    const change: PasswordChange = {
      tenantId: tenant.id,
      presentedStamp: stamp,
      stampsIssuedAfter,
      previousHash: tenant.passwordHash,
      newHash,
      passwordSalt,
      historyKept: passwordHistory - 1,
      rotatedStamp: newStamp(),
      changedByDevice: deviceId,
      now,
      requestId: deps.requestId,
      event,
    };
    const outcome = await commitOrReadBack(deps, change, commitPasswordChange, 'password.change');
    uncertain = outcome === 'unknown';
    if (outcome === 'unknown') throw new ApiError('SOMETHING_WENT_WRONG');
    committed = outcome.committed;
    if (!committed) throw new ApiError('CHANGE_PASSWORD_FAILED');
    note = { userName: tenant.userName, facts: { tenantId: tenant.id, passwordChangedAt: now, changedByDevice: deviceId } };
    if (outcome.eventRecorded) deps.sendEvent(event);
    deps.log('info', 'password.change.succeeded', { tenantId: tenant.id });
  } finally {
    // Side by side: the login object learns of the change in the same round trip as the settle.
    await Promise.all([
      settleAttempt(deps, sessions, { checkId, result, stamp, committed, keepSessionId, changedAt: now, uncertain }),
      note && noteChange(deps, note),
    ]);
  }
  return tenantId;
}

/** The password policy for the tenant's new password (a reset has no existing password to compare). */
export async function requirePolicy(
  tenant: Tenant,
  request: { newPassword: string; existingPassword?: string },
  deps: Pick<ChangeDeps, 'business' | 'settings'>,
): Promise<void> {
  const violation = await findPasswordPolicyViolation(request.newPassword, deps.settings.passwordMinLength, {
    userName: tenant.userName,
    firstName: tenant.firstName,
    lastName: tenant.lastName,
    business: deps.business,
    existingPassword: request.existingPassword,
  });
  if (violation) {
    throw new ApiError('INVALID_PARAM_NEW_PASSWORD', { message: `newPassword ${violation}`, field: 'newPassword' });
  }
}

/** Runs only after the existing password verified (or a reset token was admitted), with the new hash already derived. */
export async function requireNotRecent(
  newPassword: string,
  newHash: string,
  earlier: EarlierPasswords,
  deps: Pick<ChangeDeps, 'pepper' | 'settings'>,
): Promise<void> {
  if (await isRecentPassword(newPassword, newHash, earlier, deps.pepper)) {
    throw new ApiError('INVALID_PARAM_NEW_PASSWORD', {
      message: `newPassword must not be one of your last ${deps.settings.passwordHistory} passwords`,
      field: 'newPassword',
    });
  }
}

/** Records the failed check in the audit trail (best-effort), then refuses. */
async function rejectMismatch(deps: ChangeDeps, tenantId: string, now: number): Promise<never> {
  const { requestId } = deps;
  await recordAuditEventBestEffort(deps, { tenantId, event: 'password.change', outcome: 'mismatch_existing_password', requestId, now });
  deps.log('warn', 'password.change.mismatch', { tenantId });
  throw new ApiError('MISMATCH_EXISTING_PASSWORD', { field: 'existingPassword' });
}

/**
 * Runs the conditional batch. If D1 reports an error, the write may still have committed: the
 * outcome is decided by reading this request's audit row back, never by retrying, and never
 * reported as success unless the read shows the commit. When the read fails too, the outcome is
 * `unknown`: the stamp's claim is kept, and the object's alarm decides by the same row. A change
 * read back sends its event as if recorded: the consumer settles one owed to nobody.
 */
export async function commitOrReadBack<W extends { tenantId: string; requestId: string }>(
  deps: Pick<ChangeDeps, 'db' | 'log'>,
  write: W,
  commit: (db: ChangeDeps['db'], write: W) => Promise<CommittedChange>,
  workflow: 'password.change' | 'password.reset',
): Promise<CommittedChange | 'unknown'> {
  try {
    return await commit(deps.db, write);
  } catch (cause) {
    const { tenantId, requestId } = write;
    deps.log('error', `${workflow}.commit_uncertain`, { tenantId, cause: describeError(cause) });
    let committedAt: number | null;
    try {
      committedAt = await passwordChangeCommittedAt(deps.db, tenantId, requestId);
    } catch (readError) {
      deps.log('error', `${workflow}.read_back_failed`, { tenantId, cause: describeError(readError) });
      return 'unknown';
    }
    if (committedAt !== null) return { committed: true, eventRecorded: true };
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

/**
 * Reports the outcome to the tenant's Durable Object, which settles the session's failure counter,
 * releases the stamp and, after a commit,
 * revokes every other session. The password is committed by then, so a failure here must not turn
 * success into an error: the object's alarm settles the change from D1 within CHANGE_CLAIM_HOLD_MS,
 * and while the object is unreachable no session of the tenant validates anyway.
 */
/**
 * Tells the login object of the tenant's user name the change's facts, so that a login reading a
 * read replica that has not seen the change reads the primary instead, and charges devices from
 * before the change to their shared budget. Best-effort: the change committed, and without the note
 * the tenant's object still refuses a session for the old password (its credential generation).
 */
export async function noteChange(deps: Pick<ChangeDeps, 'loginThrottleOf' | 'log'>, note: ChangeNote): Promise<void> {
  try {
    await deps.loginThrottleOf(note.userName).noteChange(note.facts);
  } catch (cause) {
    deps.log('error', 'password.change.note_failed', { tenantId: note.facts.tenantId, cause: describeError(cause) });
  }
}

async function settleAttempt(
  deps: ChangeDeps,
  sessions: DurableObjectStub<TenantSessions>,
  result: ChangeResult,
): Promise<void> {
  try {
    const revoked = await sessions.finishChange(result);
    if (result.committed) deps.log('info', 'sessions.revoked_others', { revoked });
  } catch (cause) {
    deps.log('error', 'password.change.settle_failed', { committed: result.committed, cause: describeError(cause) });
  }
}
