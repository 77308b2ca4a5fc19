import type { z } from '@hono/zod-openapi';
import { beginLoginCheck } from '../auth/attempts';
import { admitToSpray, settleSpray, sprayRefusal, type SprayCheck } from '../auth/login-spraying';
import { issueDeviceToken, parseDeviceToken } from '../auth/device-token';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, newPasswordSalt, verifyPassword } from '../auth/password';
import { issueToken } from '../auth/session-token';
import type { Tenant } from '../db/schema';
import { ApiError } from '../errors';
import type { LoginBody, LoginResult } from '../schemas';
import type { CheckResult } from '../sessions/attempt-counter';
import type { BudgetLeft } from '../sessions/client-budget';
import type { LoginCheckOutcome } from '../sessions/login-checks';
import type { Deps } from './deps';
import { findTenantByUserName, upgradePasswordHash } from '../db/tenants';
import { recordAuditEventBestEffort } from './audit';

type LoginDeps = Pick<
  Deps,
  'db' | 'business' | 'sessionsOf' | 'loginThrottleOf' | 'loginBudgets' | 'tokens' | 'settings' | 'pepper' | 'requestId' | 'log'
>;

type Credentials = z.output<typeof LoginBody>;
type LoginableTenant = Tenant & { passwordHash: string };

/** The device token a login answers, and what its login object is told to keep of it. */
interface DeviceGrant {
  token: string;
  id: string;
  stored: NonNullable<LoginCheckOutcome['device']>;
}

/**
 * Checks the credentials within the key and client's budget of failed logins across user names
 * (which refuses nobody but the client, and never a known device of the user named) and within the
 * user name's failed-login budget of the key's business (the presenting device's own, for a known
 * device); then opens a session. Unknown users, disabled ones and wrong passwords get the same
 * answer after the same work. `judged` is told what is left of the client's budget whenever it changes.
 */
export async function logIn(
  deps: LoginDeps,
  credentials: Credentials,
  deviceToken: string | undefined,
  judged: (left: BudgetLeft) => void,
): Promise<z.output<typeof LoginResult>> {
  // Without the signing key no token can be checked or issued: fail before any storage is touched.
  deps.tokens.requireKey();
  // A device token the service did not issue for this user name is no token at all, decided here.
  const presented = await parseDeviceToken(deps.tokens, deps.business, credentials.userName, deviceToken);
  // Before the login object is asked, whatever X-Device-Token holds; the tenant read overlaps it.
  const [spray, tenant] = await sprayCheckedRead(
    admitToSpray(deps.loginBudgets()),
    findTenantByUserName(deps.db, deps.business, credentials.userName),
  );
  judged(spray.left);
  const refused = spray.refusedFor !== undefined;
  if (refused && !presented) throw sprayRefusal(spray, deps.log);
  const throttle = deps.loginThrottleOf(credentials.userName);
  const passwordChangedAt = tenant?.passwordChangedAt ?? 0;
  const changes = { passwordChangedAt, changedByDevice: tenant?.passwordChangedByDevice ?? null };
  const check = await beginLoginCheck(
    throttle,
    { business: deps.business, tenantId: tenant?.id ?? null, device: presented, ...changes, ...(refused ? { knownDeviceOnly: true } : {}) },
    () => sprayRefusal(spray, deps.log),
  ).catch(async (error: unknown) => {
    await settleSpray(spray, false);
    throw error;
  });
  let result: CheckResult = 'abandoned';
  let device: DeviceGrant | undefined;
  let loggedIn: LoginableTenant;
  try {
    const verified = await verifyCredentials(deps, tenant, credentials.password);
    // Counted from the comparison: nothing between it and the count can leave the check uncounted.
    result = verified ? 'verified' : 'failed';
    if (!verified) throw new ApiError('INVALID_CREDENTIALS');
    loggedIn = verified;
    device = check.knownDevice && presented
      ? renewDevice(deps, presented.token, presented.id, passwordChangedAt)
      : await newDevice(deps, loggedIn.id, credentials.userName, passwordChangedAt);
  } catch (error) {
    const [, left] = await Promise.all([
      throttle.finishLogin({ ...check, result, device: device?.stored }),
      settleSpray(spray, result === 'failed'),
      result === 'failed' && auditFailure(deps, tenant),
    ]);
    judged(left);
    throw error;
  }
  // The login object, the client's budget, the tenant's object and D1 are independent: told at once, one round trip.
  const [, left, , { token, expiresAt }] = await Promise.all([
    throttle.finishLogin({ ...check, result, device: device.stored }),
    settleSpray(spray, false),
    upgradeWeakHash(deps, loggedIn, credentials.password),
    openSession(deps, loggedIn, device.id),
  ]);
  judged(left);
  return {
    token,
    expiresAt: new Date(expiresAt).toISOString(),
    deviceToken: device.token,
    authContactBookInfo: {
      id: loggedIn.id,
      firstName: loggedIn.firstName,
      lastName: loggedIn.lastName,
      email: loggedIn.userName,
      phoneNumber: loggedIn.phoneNumber,
    },
  };
}

/**
 * Both answers, or the first failure; a check the client's budget admitted for a read that then
 * failed is freed, uncounted.
 */
async function sprayCheckedRead<T>(asked: Promise<SprayCheck>, read: Promise<T>): Promise<[SprayCheck, T]> {
  const [spray, tenant] = await Promise.allSettled([asked, read]);
  if (spray.status === 'rejected') throw spray.reason;
  if (tenant.status === 'rejected') {
    await settleSpray(spray.value, false).catch(() => undefined);
    throw tenant.reason;
  }
  return [spray.value, tenant.value];
}

/** The tenant whose password this is, or null. No I/O: the caller counts the answer first. */
async function verifyCredentials(deps: LoginDeps, tenant: Tenant | undefined, password: string): Promise<LoginableTenant | null> {
  const storedHash = tenant?.passwordHash && !tenant.isDisabled ? tenant.passwordHash : null;
  // Unknown users cost the same derivation as real ones, so timing does not reveal who exists.
  const matches = await verifyPassword(password, storedHash ?? DUMMY_PASSWORD_HASH, deps.pepper);
  return tenant && storedHash && matches ? { ...tenant, passwordHash: storedHash } : null;
}

/** The audit row of a failed login: best-effort, so a D1 failure never turns the failure into a 500. */
async function auditFailure(deps: LoginDeps, tenant: Tenant | undefined): Promise<void> {
  const tenantId = tenant?.id ?? null;
  await recordAuditEventBestEffort(deps, { tenantId, event: 'login', outcome: 'invalid_credentials', requestId: deps.requestId, now: Date.now() });
  deps.log('warn', 'auth.login.failed', { tenantId });
}

/** Replaces a hash made with older parameters, now that the password is known to be right. */
async function upgradeWeakHash(deps: LoginDeps, tenant: Tenant & { passwordHash: string }, password: string) {
  if (!(await needsRehash(tenant.passwordHash, deps.pepper))) return;
  // An imported tenant gets its one salt here, if its first change has not given it one.
  const passwordSalt = tenant.passwordSalt ?? newPasswordSalt();
  const passwordHash = await hashPassword(password, deps.pepper, passwordSalt);
  await upgradePasswordHash(deps.db, tenant.id, tenant.passwordHash, { passwordHash, passwordSalt });
  deps.log('info', 'auth.password_hash_upgraded', { tenantId: tenant.id });
}

/** A known device keeps its token (re-signed if made under the previous key), valid for another DEVICE_TOKEN_TTL_DAYS from now, and its own budget from now on. */
function renewDevice(deps: LoginDeps, token: string, deviceId: string, verifiedGeneration: number): DeviceGrant {
  return { token, id: deviceId, stored: { renew: deviceId, expiresAt: Date.now() + deps.settings.deviceTokenTtlMs, verifiedGeneration } };
}

/** Any other client becomes a known device of this tenant from now on, if it keeps the token. */
async function newDevice(deps: LoginDeps, tenantId: string, userName: string, verifiedGeneration: number): Promise<DeviceGrant> {
  const { token, id, secretHash } = await issueDeviceToken(deps.tokens, deps.business, userName);
  const expiresAt = Date.now() + deps.settings.deviceTokenTtlMs;
  return { token, id, stored: { issue: { id, secretHash, tenantId, expiresAt, verifiedGeneration } } };
}

/**
 * Opens a session for the password just verified. The tenant's object refuses it if a change
 * settled after that password was read: the login then fails as if the password were wrong.
 */
async function openSession(deps: LoginDeps, tenant: LoginableTenant, deviceId: string): Promise<{ token: string; expiresAt: number }> {
  const tenantId = tenant.id;
  const issued = await issueToken(deps.tokens, deps.business, tenantId);
  const expiresAt = Date.now() + deps.settings.sessionTtlMs;
  const { sessionId, secretHash } = issued;
  const session = { sessionId, secretHash, business: deps.business, expiresAt, deviceId };
  if (!(await deps.sessionsOf(tenantId).createSession(session, tenant.passwordChangedAt ?? 0))) {
    deps.log('warn', 'auth.login.failed', { tenantId, reason: 'password_changed' });
    throw new ApiError('INVALID_CREDENTIALS');
  }
  deps.log('info', 'auth.login.succeeded', { tenantId, sessionId: issued.sessionId });
  return { token: issued.token, expiresAt };
}
