/**
 * Password reset: a business, through a server key, issues a single-use token for one of its tenants
 * and delivers it by its own channel; the tenant (or the business's portal for it) completes it with
 * a new password. See docs/api.md "Password reset" and docs/security.md.
 */
import type { z } from '@hono/zod-openapi';
import { parseDeviceToken } from '../auth/device-token';
import { admitToSpray, settleSpray, sprayRefusal, type SprayCheck } from '../auth/login-spraying';
import { hashPassword, newPasswordSalt } from '../auth/password';
import { issueResetToken, verifyResetToken, type PresentedResetToken } from '../auth/reset-token';
import { tenantWithHistory } from '../db/history';
import type { TenantRead } from './change-read';
import { commitPasswordReset, findTenantById } from '../db/tenants';
import { ApiError, describeError } from '../errors';
import type { PasswordResetBody, ResetTokenIssued } from '../schemas';
import { passwordReset } from '../security-events';
import type { BudgetLeft } from '../sessions/client-budget';
import type { ResetAdmission, ResetResult, TenantSessions } from '../sessions/tenant-sessions';
import { commitOrReadBack, noteChange, requireNotRecent, requirePolicy, type ChangeNote } from './change-password';
import type { Deps } from './deps';
import { newStamp, requireChangeable } from './stamp';

type IssueDeps = Pick<Deps, 'db' | 'business' | 'sessionsOf' | 'tokens' | 'settings' | 'log'>;
type CompleteDeps = Pick<
  Deps,
  'db' | 'business' | 'sessionsOf' | 'loginThrottleOf' | 'loginBudgets' | 'tokens' | 'settings' | 'pepper' | 'requestId' | 'log' | 'sendEvent'
>;

/** What a completion leaves to settle: the token it holds, and the note for the login object once it committed. */
interface Held {
  sessions: DurableObjectStub<TenantSessions>;
  result: ResetResult;
  note?: ChangeNote;
}

const TENANT_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/**
 * Issues a reset token for the business's tenant `tenantId`, superseding any older one. A tenant of
 * another business, or an id that names none (malformed ones included), is NO_RECORDS_FOUND; a tenant
 * without credentials or disabled is INVALID_CONTACT_BOOK_DETAILS_INFO. The token is bound to the
 * tenant's current credential generation: any change or reset after it consumes it.
 */
export async function issuePasswordReset(deps: IssueDeps, tenantIdParam: string): Promise<z.output<typeof ResetTokenIssued>> {
  deps.tokens.requireKey();
  const tenantId = tenantIdParam.toUpperCase();
  if (!TENANT_ID.test(tenantId)) throw new ApiError('NO_RECORDS_FOUND');
  const tenant = requireChangeable(await findTenantById(deps.db, deps.business, tenantId));
  const issued = await issueResetToken(deps.tokens, deps.business, tenant.id);
  const expiresAt = Date.now() + deps.settings.resetTokenMs;
  const stored = { id: issued.tokenId, secretHash: issued.secretHash, generation: tenant.passwordChangedAt ?? 0, expiresAt };
  await ask(() => deps.sessionsOf(tenant.id).issueResetToken(stored));
  deps.log('info', 'password.reset.issued', { tenantId: tenant.id });
  return { resetToken: issued.token, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Sets the password of the tenant a reset token was issued for, under the password policy and the
 * history rule, and returns the tenant id. Within the key and client's budget of failed logins (the
 * same ClientBudget objects as logins): every RESET_TOKEN_INVALID counts as a failure there, and a
 * spent budget answers TOO_MANY_ATTEMPTS before the token is looked at in storage. `judged` is told
 * what is left of that budget whenever it changes.
 */
/** The body, and the X-Device-Token of the client completing the reset, if it sent one. */
type Completion = z.output<typeof PasswordResetBody> & { deviceToken?: string };

export async function completePasswordReset(
  deps: CompleteDeps,
  body: Completion,
  judged: (left: BudgetLeft) => void,
): Promise<string> {
  deps.tokens.requireKey();
  // A token the service did not issue for this business never reaches D1 or the tenant's object.
  const presented = await verifyResetToken(deps.tokens, deps.business, body.resetToken);
  // The tenant is read while the client's budget is asked; a refused completion never awaits it.
  const read = presented ? tenantWithHistory(deps.db, deps.business, presented.tenantId, deps.settings.passwordHistory - 1) : null;
  read?.catch(() => {});
  const spray = await admitToSpray(deps.loginBudgets());
  judged(spray.left);
  if (spray.refusedFor !== undefined) throw sprayRefusal(spray, deps.log);
  let failed = false;
  let held: Held | undefined;
  try {
    if (!presented || !read) throw invalidToken(deps, null, 'not_issued');
    const sessions = deps.sessionsOf(presented.tenantId);
    const admission = await ask(() => beginReset(sessions, presented, deps));
    if (admission.outcome === 'invalid') throw invalidToken(deps, presented.tenantId, 'not_usable');
    held = { sessions, result: { checkId: admission.checkId, tokenId: presented.tokenId, committed: false, changedAt: Date.now() } };
    await resetPassword(deps, body, await read, admission.generation, held);
    return presented.tenantId;
  } catch (error) {
    failed = error instanceof ApiError && error.code === 'RESET_TOKEN_INVALID';
    throw error;
  } finally {
    // The tenant's object, the login object and the client's budget are independent: told at once, one round trip.
    const [, left] = await Promise.all([
      held && settleReset(deps, held.sessions, held.result),
      settleBudget(deps, spray, failed),
      held?.note && noteChange(deps, held.note),
    ]);
    judged(left);
  }
}

/**
 * The reset proper, once the token is held: `held.result` records whether (and when) it committed,
 * and `held.note` what the login object of the tenant's user name is to be told: every device token
 * of the tenant now counts as issued before it, but the one of the client that completed it.
 */
async function resetPassword(
  deps: CompleteDeps,
  body: Completion,
  { tenant, history }: TenantRead,
  issuedGeneration: number,
  held: Held,
): Promise<void> {
  const { result } = held;
  // Changed, reset, disabled or deleted since the token was issued: the token went with it.
  const current = tenant && !tenant.isDisabled && (tenant.passwordChangedAt ?? 0) === issuedGeneration;
  if (!tenant?.passwordHash || !current) throw invalidToken(deps, tenant?.id ?? null, 'superseded');
  // A refused password leaves the token as it was: the tenant tries again with a better one.
  await requirePolicy(tenant, body, deps);
  const passwordSalt = tenant.passwordSalt ?? newPasswordSalt();
  const newHash = await hashPassword(body.newPassword, deps.pepper, passwordSalt);
  await requireNotRecent(body.newPassword, newHash, { current: tenant.passwordHash, history }, deps);
  // The client completing it, if it is a device the service issued for this user name, keeps its own budget.
  const changedByDevice = (await parseDeviceToken(deps.tokens, deps.business, tenant.userName, body.deviceToken))?.id ?? null;
  const now = result.changedAt;
  const event = passwordReset({ businessId: deps.business, tenantId: tenant.id, requestId: deps.requestId, at: now });
  const reset = {
    tenantId: tenant.id,
    issuedGeneration,
    changedByDevice,
    previousHash: tenant.passwordHash,
    newHash,
    passwordSalt,
    historyKept: deps.settings.passwordHistory - 1,
    rotatedStamp: newStamp(),
    now,
    requestId: deps.requestId,
    event,
  };
  const outcome = await commitOrReadBack(deps, reset, commitPasswordReset, 'password.reset');
  // D1 could not say: the hold stays, and the object's alarm settles the reset by D1's audit row.
  result.uncertain = outcome === 'unknown';
  if (outcome === 'unknown') throw new ApiError('SOMETHING_WENT_WRONG');
  result.committed = outcome.committed;
  if (!outcome.committed) throw invalidToken(deps, tenant.id, 'lost_race');
  held.note = { userName: tenant.userName, facts: { tenantId: tenant.id, passwordChangedAt: now, changedByDevice } };
  if (outcome.eventRecorded) deps.sendEvent(event);
  deps.log('info', 'password.reset.succeeded', { tenantId: tenant.id });
}

function beginReset(sessions: DurableObjectStub<TenantSessions>, presented: PresentedResetToken, deps: CompleteDeps) {
  const { tokenId, secretHash, tenantId } = presented;
  return sessions.beginReset({ tokenId, secretHash, tenantId, business: deps.business, requestId: deps.requestId }) as Promise<ResetAdmission>;
}

/** One answer for every token that cannot be used, whatever the reason (only the log says which). */
function invalidToken(deps: Pick<Deps, 'log'>, tenantId: string | null, reason: string): ApiError {
  deps.log('warn', 'password.reset.refused', { tenantId, reason });
  return new ApiError('RESET_TOKEN_INVALID');
}

/**
 * Reports the outcome to the tenant's object, which releases the hold and, after a commit, consumes
 * the token and revokes every session. A failure here must not turn a committed reset into an
 * error: the hold stays, and the alarm settles it from D1 within CHANGE_CLAIM_HOLD_MS.
 */
async function settleReset(deps: CompleteDeps, sessions: DurableObjectStub<TenantSessions>, result: ResetResult): Promise<void> {
  try {
    const revoked = await sessions.finishReset(result);
    if (result.committed) deps.log('info', 'sessions.revoked_all', { revoked });
  } catch (cause) {
    deps.log('error', 'password.reset.settle_failed', { committed: result.committed, cause: describeError(cause) });
  }
}

/** Counts a refused token in the client's budget; a completion that succeeded is not failed by a budget it cannot reach. */
async function settleBudget(deps: Pick<Deps, 'log'>, spray: SprayCheck, failed: boolean): Promise<BudgetLeft> {
  try {
    return await settleSpray(spray, failed);
  } catch (cause) {
    if (failed) throw cause;
    deps.log('error', 'password.reset.budget_settle_failed', { cause: describeError(cause) });
    return spray.left;
  }
}

/** The tenant's object being unreachable is a server fault. */
async function ask<T>(question: () => Promise<T>): Promise<T> {
  try {
    return await question();
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

