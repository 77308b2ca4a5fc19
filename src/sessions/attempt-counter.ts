/** Failed-attempt counters, one per scope, in the `attempts` table of a Durable Object. */
import { forgetAt, judgeAttempt, type AttemptCounter, type LockoutSettings } from './lockout';
import * as sessions from './session-store';
import * as claims from './stamp-claims';

export type AttemptDecision =
  | { outcome: 'allowed' }
  | { outcome: 'locked'; retryAfterSeconds: number }
  | { outcome: 'busy' };

export interface AttemptResult {
  verified: boolean;
  stamp?: string;
  committed?: boolean;
  keepSessionId?: string;
}

/**
 * Reserves one password check for `scope` (see `judgeAttempt`). With a pending `change`, only one
 * check per stamp may be in flight: the others are told `busy`, without being counted. Returns the
 * decision and the times by which the object must wake up to forget what was written.
 */
export function begin(
  sql: SqlStorage,
  scope: string,
  now: number,
  settings: LockoutSettings,
  change?: claims.PendingChange,
): { decision: AttemptDecision; wakeBy: number[] } {
  const verdict = judgeAttempt(read(sql, scope), now, settings);
  if (verdict.outcome === 'locked') return { decision: verdict, wakeBy: [] };
  if (change && claims.isClaimed(sql, change.stamp, now)) return { decision: { outcome: 'busy' }, wakeBy: [] };
  write(sql, scope, verdict.counter);
  const wakeBy = [forgetAt(verdict.counter, settings)];
  if (verdict.outcome === 'lockout') {
    return { decision: { outcome: 'locked', retryAfterSeconds: verdict.retryAfterSeconds }, wakeBy };
  }
  if (change) wakeBy.push(claims.claim(sql, change, now));
  return { decision: { outcome: 'allowed' }, wakeBy };
}

/**
 * Ends a reserved check. A verified password forgets the failures and the lockout history; a
 * committed change revokes every other session of the tenant, in the same step as releasing the
 * stamp. Returns how many sessions were revoked.
 */
export function finish(sql: SqlStorage, scope: string, result: AttemptResult): number {
  if (result.verified) sql.exec('DELETE FROM attempts WHERE scope = ?', scope);
  if (result.stamp !== undefined) claims.release(sql, result.stamp);
  return result.committed && result.keepSessionId ? sessions.revokeOthers(sql, result.keepSessionId) : 0;
}

export function forgetStale(sql: SqlStorage, now: number, windowMs: number): void {
  sql.exec(
    'DELETE FROM attempts WHERE window_started_at + ? <= ? AND locked_until + ? <= ?',
    windowMs,
    now,
    windowMs,
    now,
  );
}

/** When the next counter may be forgotten, or null when there is none. */
export function nextForgettable(sql: SqlStorage, windowMs: number): number | null {
  return sql
    .exec<{ at: number | null }>('SELECT min(max(window_started_at, locked_until) + ?) AS at FROM attempts', windowMs)
    .one().at;
}

function read(sql: SqlStorage, scope: string): AttemptCounter | undefined {
  return sql
    .exec<{ failures: number; windowStartedAt: number; lockedUntil: number; lockouts: number }>(
      `SELECT failures, window_started_at AS windowStartedAt, locked_until AS lockedUntil, lockouts
       FROM attempts WHERE scope = ?`,
      scope,
    )
    .toArray()[0];
}

function write(sql: SqlStorage, scope: string, counter: AttemptCounter): void {
  sql.exec(
    `INSERT OR REPLACE INTO attempts (scope, failures, window_started_at, locked_until, lockouts)
     VALUES (?, ?, ?, ?, ?)`,
    scope,
    counter.failures,
    counter.windowStartedAt,
    counter.lockedUntil,
    counter.lockouts,
  );
}
