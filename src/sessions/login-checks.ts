/**
 * Login checks in the login object of one user name of one business: which counter a login is
 * charged to, and what a finished one leaves behind. A client presenting a valid device token of
 * this user is counted on its own (`device:<id>`); every other client shares `untrusted`, so a
 * lockout of the untrusted never refuses the owner's known device.
 */
import * as attempts from './attempt-counter';
import * as devices from './device-store';
import type { LockoutSettings } from './lockout';

export const UNTRUSTED_SCOPE = 'untrusted';

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
}

export interface LoginScope {
  scope: string;
  knownDevice: boolean;
}

/** An invalid, expired or foreign device token is treated as none: no error, no oracle. */
export function scopeOf(sql: SqlStorage, request: LoginCheckRequest, now: number): LoginScope {
  const knownDevice = request.device !== undefined && devices.isKnown(sql, request.device, request.tenantId, now);
  return { scope: knownDevice ? `device:${request.device!.id}` : UNTRUSTED_SCOPE, knownDevice };
}

export interface LoginCheckOutcome extends LoginScope {
  checkId: string;
  result: attempts.CheckResult;
  /** After a verified password: the token to store (a new device), or the known device to renew. */
  device?: { issue: devices.NewDevice } | { renew: string; expiresAt: number };
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
    devices.renew(sql, outcome.device.renew, outcome.device.expiresAt, now);
  }
  return wakeBy;
}
