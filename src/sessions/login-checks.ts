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

export interface LoginCheckRequest {
  /** The business of the key, which a lockout of its tenant is reported to. */
  business: string;
  /** The tenant the user name belongs to in the business, or null when there is none. */
  tenantId: string | null;
  device?: devices.PresentedDevice;
  /**
   * The client's spraying budget refused it (auth/login-spraying.ts): only a known device of this
   * user may be admitted; anyone else is turned away before holding any place in a counter.
   */
  knownDeviceOnly?: boolean;
  /** The tenant's `password_changed_at` (0: never changed), and the device whose session made that change. */
  passwordChangedAt: number;
  changedByDevice: string | null;
}

export interface LoginScope {
  scope: string;
  knownDevice: boolean;
}

/** An invalid, expired or foreign device token is treated as none: no error, no oracle. */
export function scopeOf(sql: SqlStorage, request: LoginCheckRequest, now: number): LoginScope {
  const { device } = request;
  const generation = device === undefined ? null : devices.knownGeneration(sql, device, request.tenantId, now);
  if (generation === null) return { scope: UNTRUSTED_SCOPE, knownDevice: false };
  const beforeChange = generation < request.passwordChangedAt && device!.id !== request.changedByDevice;
  return { scope: beforeChange ? DEVICES_BEFORE_CHANGE_SCOPE : `device:${device!.id}`, knownDevice: true };
}

/**
 * Before a check on `devices-before-change`: the counters (and checks in flight) that tokens now
 * issued before the change still have on their own move into it, so a token's guesses before the
 * change and the shared budget after it are one budget in the window, not two. Returns when to wake.
 */
export function foldPreChangeDevices(sql: SqlStorage, request: LoginCheckRequest, now: number, settings: LockoutSettings): number[] {
  const scopes = sql
    .exec<{ scope: string }>(
      `SELECT 'device:' || id AS scope FROM devices
       WHERE tenant_id = ? AND verified_generation < ? AND id IS NOT ?
         AND ('device:' || id IN (SELECT scope FROM attempts) OR 'device:' || id IN (SELECT scope FROM checks))`,
      request.tenantId,
      request.passwordChangedAt,
      request.changedByDevice,
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
