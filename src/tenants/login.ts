import type { z } from '@hono/zod-openapi';
import { beginLogin, requireAdmitted } from '../auth/attempts';
import { admitToSpray, settleSpray, sprayRefusal, type SprayCheck } from '../auth/login-spraying';
import { issueDeviceToken, parseDeviceToken } from '../auth/device-token';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, newPasswordSalt, verifyPassword } from '../auth/password';
import { issueToken } from '../auth/session-token';
import type { Tenant } from '../db/schema';
import { ApiError } from '../errors';
import type { LoginBody, LoginResult } from '../schemas';
import type { CheckResult } from '../sessions/attempt-counter';
import type { BudgetLeft } from '../sessions/client-budget';
import type { LoginCheckOutcome, TenantFacts } from '../sessions/login-checks';
import type { LoginAdmission } from '../sessions/tenant-sessions';
import type { Database } from '../db/database';
import type { Deps } from './deps';
import { findTenantByUserName, upgradePasswordHash } from '../db/tenants';
import { recordAuditEventBestEffort } from './audit';

type LoginDeps = Pick<
  Deps,
  'db' | 'replicaDb' | 'business' | 'sessionsOf' | 'loginThrottleOf' | 'loginBudgets' | 'tokens' | 'settings' | 'pepper' | 'requestId' | 'log'
>;

type Credentials = z.output<typeof LoginBody>;
type LoginableTenant = Tenant & { passwordHash: string };
type Admitted = Extract<LoginAdmission, { outcome: 'admitted' }>;

/** The device token a login answers, and what its login object is told to keep of it. */
interface DeviceGrant {
  token: string;
  id: string;
  stored: NonNullable<LoginCheckOutcome['device']>;
}

/** The tenant row of the user name (if any), and whether it was read at the primary. */
interface TenantRow {
  tenant: Tenant | undefined;
  fresh: boolean;
}

/**
 * Checks the credentials within the key and client's budget of failed logins across user names
 * (which refuses nobody but the client, and never a known device of the user named) and within the
 * user name's failed-login budget of the key's business (the presenting device's own, for a known
 * device); then opens a session. Unknown users, disabled ones and wrong passwords get the same
 * answer after the same work. `judged` is told what is left of the client's budget whenever it changes.
 *
 * Two sequential rounds of store calls for a known device: the client's budget, the tenant read and
 * the login object at once, then the password check, then the settles and the session at once. A
 * client without a device token the service issued for this user name reaches the login object only
 * once its budget has admitted it: one round more. See docs/performance.md.
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
  const throttle = deps.loginThrottleOf(credentials.userName);
  // The client's budget first, whatever X-Device-Token holds; the tenant read alongside it, and the
  // login object too for a device token the service issued: asked to admit a known device only (on
  // the tenant facts it was told), so a client the budget refuses holds no place of anyone else's.
  const [spray, read, early] = await firstRound(
    admitToSpray(deps.loginBudgets()),
    readTenant(deps.replicaDb ?? deps.db, deps.business, credentials.userName, !deps.replicaDb),
    presented ? beginLogin(throttle, { business: deps.business, device: presented, knownDeviceOnly: true }) : undefined,
    (admitted) => throttle.finishLogin({ ...admitted, result: 'abandoned' }),
  );
  judged(spray.left);
  const refused = spray.refusedFor !== undefined;
  let row = read;
  // The check this request holds in the login object, freed uncounted if the request fails before its password check.
  let held = early?.outcome === 'admitted' ? early : undefined;
  let check: Admitted;
  try {
    if (refused && !early) throw sprayRefusal(spray, deps.log);
    if (isLagging(row, early?.known ?? null)) row = await readTenant(deps.db, deps.business, credentials.userName, true);
    // The first round's admission stands if the object judged by the tenant as this row has it.
    let admission: LoginAdmission | undefined = early && early.outcome !== 'undecided' && sameFacts(early.basis, factsOf(row.tenant)) ? early : undefined;
    // Charged again on the row's facts, the check held on other facts freed at the same time.
    const chargeAgain = async () => {
      const freed = held;
      held = undefined;
      const [again] = await Promise.all([
        beginLogin(throttle, { business: deps.business, device: presented, ...factsOf(row.tenant), knownDeviceOnly: refused }),
        freed && throttle.finishLogin({ ...freed, result: 'abandoned' }),
      ]);
      if (again.outcome === 'admitted') held = again;
      return again;
    };
    // Anyone but a known device is charged now, and only if the client's budget admitted it.
    if (!admission || (admission.outcome === 'unknownDevice' && !refused)) {
      admission = await chargeAgain();
      if (isLagging(row, admission.known)) {
        row = await readTenant(deps.db, deps.business, credentials.userName, true);
        // An untrusted client's counter does not depend on the row; a known device's does, so it is judged again.
        if (admission.outcome !== 'undecided' && admission.knownDevice && !sameFacts(admission.basis, factsOf(row.tenant))) admission = await chargeAgain();
      }
    }
    check = requireAdmitted(admission, () => sprayRefusal(spray, deps.log));
  } catch (error) {
    await Promise.all([
      settleSpray(spray, false).catch(() => undefined),
      held && throttle.finishLogin({ ...held, result: 'abandoned' }).catch(() => undefined),
    ]);
    throw error;
  }
  const { tenant } = row;
  const passwordChangedAt = tenant?.passwordChangedAt ?? 0;
  const facts = { of: factsOf(tenant), fresh: row.fresh };
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
      throttle.finishLogin({ ...check, result, device: device?.stored, facts }),
      settleSpray(spray, result === 'failed'),
      result === 'failed' && auditFailure(deps, tenant),
    ]);
    judged(left);
    throw error;
  }
  // The login object, the client's budget, the tenant's object and D1 are independent: told at once, one round trip.
  const [, left, , { token, expiresAt }] = await Promise.all([
    throttle.finishLogin({ ...check, result, device: device.stored, facts }),
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

/** What the login object must know of the tenant to charge a device (see sessions/login-checks.ts). */
function factsOf(tenant: Tenant | undefined): TenantFacts {
  return { tenantId: tenant?.id ?? null, passwordChangedAt: tenant?.passwordChangedAt ?? 0, changedByDevice: tenant?.passwordChangedByDevice ?? null };
}

function sameFacts(a: TenantFacts, b: TenantFacts): boolean {
  return a.tenantId === b.tenantId && a.passwordChangedAt === b.passwordChangedAt && a.changedByDevice === b.changedByDevice;
}

/**
 * Whether a read replica's row is behind what the login object was told: another tenant, or an
 * older password than the last change it heard of (a change tells it alongside its settle). Such a
 * row is read again at the primary, so the new password is never checked against the old hash. A
 * row the replica does not have is taken as it is unless the object knows a tenant: an unknown user
 * name costs no more than a known one.
 */
function isLagging(row: TenantRow, known: TenantFacts | null): boolean {
  if (row.fresh || known === null || known.tenantId === null) return false;
  return known.tenantId !== row.tenant?.id || known.passwordChangedAt > (row.tenant?.passwordChangedAt ?? 0);
}

/** The tenant with the user name; a disabled one is no tenant here: the same counters, derivation and answer as an unknown user. */
async function readTenant(db: Database, business: string, userName: string, fresh: boolean): Promise<TenantRow> {
  const found = await findTenantByUserName(db, business, userName);
  return { tenant: found?.isDisabled ? undefined : found, fresh };
}

/**
 * The first round's answers, or the first failure: a check the client's budget or the login object
 * admitted for a round that then failed is freed, uncounted.
 */
async function firstRound(
  asked: Promise<SprayCheck>,
  read: Promise<TenantRow>,
  early: Promise<LoginAdmission> | undefined,
  abandon: (admitted: Admitted) => Promise<void>,
): Promise<[SprayCheck, TenantRow, LoginAdmission | undefined]> {
  const [spray, tenant, admission] = await Promise.allSettled([asked, read, early]);
  if (spray.status === 'fulfilled' && tenant.status === 'fulfilled' && admission.status === 'fulfilled') {
    return [spray.value, tenant.value, admission.value];
  }
  const admitted = admission.status === 'fulfilled' && admission.value?.outcome === 'admitted' ? admission.value : undefined;
  await Promise.all([
    spray.status === 'fulfilled' && settleSpray(spray.value, false).catch(() => undefined),
    admitted && abandon(admitted).catch(() => undefined),
  ]);
  throw [spray, tenant, admission].flatMap((answer) => (answer.status === 'rejected' ? [answer.reason] : []))[0];
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
