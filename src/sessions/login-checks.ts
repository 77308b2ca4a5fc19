/**
 * Login checks in the login object of one user name of one business: which counter a login is
 * charged to, and what a finished one leaves behind. A client presenting a valid device token of
 * this user is counted on its own (`device:<id>`); every other client shares `untrusted`, so a
 * lockout of the untrusted never refuses the owner's known device. After a password change, the
 * tokens that have not verified the new password since share `devices-before-change` (whatever
 * their number, they get one device's guesses), except the device whose session made the change.
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
