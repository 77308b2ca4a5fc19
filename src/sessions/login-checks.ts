/**
 * Login checks in the login object of one user name of one business: which counter a login is
 * charged to, and what a finished one leaves behind. A client presenting a valid device token of
 * this user is counted on its own (`device:<id>`); every other client shares `untrusted`, so a
 * lockout of the untrusted never refuses the owner's known device. After a password change, the
 * tokens that have not verified the new password since share `devices-before-change` (whatever
 * their number, they get one device's guesses), except the device whose session made the change;
 * what each of them failed on its own counter in the window is carried into that shared one.
 */
import * as attempts from './attempt-counter';
import * as devices from './device-store';
import type { LockoutSettings } from './lockout';

export const UNTRUSTED_SCOPE = 'untrusted';
export const DEVICES_BEFORE_CHANGE_SCOPE = 'devices-before-change';

/**
 * What a login needs to know of the user name's tenant to charge a device: the tenant it belongs to
 * (null: none), its `password_changed_at` (0: never changed), and the device whose session made that
 * change. D1 holds the truth; the login object keeps the latest it was told (see `TENANT_KEY`).
 */
export interface TenantFacts {
  tenantId: string | null;
  passwordChangedAt: number;
  changedByDevice: string | null;
}

/**
 * Where the login object keeps the latest tenant facts it was told: by a committed change (at once,
 * alongside its settle) and by every finished login (the row it verified against). A login with a
 * device token is admitted against them before D1's answer is in; the request then compares them
 * with the row it read (see tenants/login.ts). Key-value storage, with when they were last written.
 */
export const TENANT_KEY = 'tenant';
export type StoredFacts = TenantFacts & { writtenAt: number };

export interface LoginCheckRequest extends Partial<TenantFacts> {
  /** The business of the key, which a lockout of its tenant is reported to. */
  business: string;
  device?: devices.PresentedDevice;
  /**
   * The client's spraying budget refused it (auth/login-spraying.ts): only a known device of this
   * user may be admitted; anyone else is turned away before holding any place in a counter.
   */
  knownDeviceOnly?: boolean;
}

/** The facts a request names, all of them, or null when it names none (the object then uses its own). */
export function namedFacts(request: LoginCheckRequest): TenantFacts | null {
  const { tenantId, passwordChangedAt, changedByDevice } = request;
  if (tenantId === undefined || passwordChangedAt === undefined || changedByDevice === undefined) return null;
  return { tenantId, passwordChangedAt, changedByDevice };
}

/** The facts the object was last told, if any. */
export function storedFacts(kv: SyncKvStorage): TenantFacts | null {
  const stored = kv.get<StoredFacts>(TENANT_KEY);
  return stored ? { tenantId: stored.tenantId, passwordChangedAt: stored.passwordChangedAt, changedByDevice: stored.changedByDevice } : null;
}

/**
 * Keeps `facts` if they are the primary's (`fresh`) or newer than those kept: a read replica's row
 * that lags never replaces a change the object was told of. A user name with no tenant keeps nothing.
 */
export function rememberFacts(kv: SyncKvStorage, facts: TenantFacts, fresh: boolean, now: number): void {
  const kept = kv.get<StoredFacts>(TENANT_KEY);
  if (facts.tenantId === null) {
    if (fresh && kept) kv.delete(TENANT_KEY);
    return;
  }
  if (kept && !fresh && !(facts.passwordChangedAt > kept.passwordChangedAt)) return;
  if (kept && fresh && facts.passwordChangedAt < kept.passwordChangedAt && facts.tenantId === kept.tenantId) return;
  kv.put(TENANT_KEY, { ...facts, writtenAt: now });
}

/**
 * Forgets the facts once the object holds no device token and they are `keepMs` old; returns when
 * to look again, or null once there is nothing to forget.
 */
export function forgetFacts(sql: SqlStorage, kv: SyncKvStorage, now: number, keepMs: number): number | null {
  const kept = kv.get<StoredFacts>(TENANT_KEY);
  if (!kept) return null;
  if (kept.writtenAt + keepMs > now) return kept.writtenAt + keepMs;
  if (devices.holdsAny(sql)) return now + keepMs;
  kv.delete(TENANT_KEY);
  return null;
}

export interface LoginScope {
  scope: string;
  knownDevice: boolean;
}

/** An invalid, expired or foreign device token is treated as none: no error, no oracle. */
export function scopeOf(sql: SqlStorage, device: devices.PresentedDevice | undefined, facts: TenantFacts, now: number): LoginScope {
  const generation = device === undefined ? null : devices.knownGeneration(sql, device, facts.tenantId, now);
  if (generation === null) return { scope: UNTRUSTED_SCOPE, knownDevice: false };
  const beforeChange = generation < facts.passwordChangedAt && device!.id !== facts.changedByDevice;
  return { scope: beforeChange ? DEVICES_BEFORE_CHANGE_SCOPE : `device:${device!.id}`, knownDevice: true };
}

/**
 * Before a check on `devices-before-change`: the counters (and checks in flight) that tokens now
 * issued before the change still have on their own move into it, so a token's guesses before the
 * change and the shared budget after it are one budget in the window, not two. Returns when to wake.
 */
export function foldPreChangeDevices(sql: SqlStorage, facts: TenantFacts, now: number, settings: LockoutSettings): number[] {
  const scopes = sql
    .exec<{ scope: string }>(
      `SELECT 'device:' || id AS scope FROM devices
       WHERE tenant_id = ? AND verified_generation < ? AND id IS NOT ?
         AND ('device:' || id IN (SELECT scope FROM attempts) OR 'device:' || id IN (SELECT scope FROM checks))`,
      facts.tenantId,
      facts.passwordChangedAt,
      facts.changedByDevice,
    )
    .toArray()
    .map((row) => row.scope);
  const forgetAt = attempts.fold(sql, scopes, DEVICES_BEFORE_CHANGE_SCOPE, now, settings);
  return forgetAt === null ? [] : [forgetAt];
}

export interface LoginCheckOutcome extends LoginScope {
  checkId: string;
  result: attempts.CheckResult;
  /** After a verified password: the token to store (a new device), or the known device to renew. */
  device?: { issue: devices.NewDevice } | { renew: string; expiresAt: number; verifiedGeneration: number };
  /** The row the password was checked against, and whether it was the primary's: kept (see `rememberFacts`). */
  facts?: { of: TenantFacts; fresh: boolean };
}

/** Settles the check and, after a verified password, stores or renews the device token. Returns when to wake. */
export function finish(sql: SqlStorage, outcome: LoginCheckOutcome, now: number, settings: LockoutSettings): number[] {
  const forgetAt = attempts.settle(sql, outcome.scope, outcome.checkId, outcome.result, now, settings);
  const wakeBy = forgetAt === null ? [] : [forgetAt];
  if (outcome.result !== 'verified' || !outcome.device) return wakeBy;
  if ('issue' in outcome.device) {
    devices.remember(sql, outcome.device.issue, now);
    wakeBy.push(outcome.device.issue.expiresAt);
  } else {
    devices.renew(sql, outcome.device.renew, outcome.device.expiresAt, outcome.device.verifiedGeneration, now);
  }
  return wakeBy;
}
