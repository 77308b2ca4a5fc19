/**
 * Failed-attempt counters, one per scope, in the `attempts` table of a Durable Object, and the
 * password checks in flight against them, in its `checks` table.
 */
import { CHECK_HOLD_MS } from '../config';
import { combine, forgetAt, judgeAttempt, settleCheck, type AttemptCounter, type LockoutSettings } from './lockout';

/** A check's answer: admitted (with the id to finish it by), refused while locked out, or told to wait. */
export type Reservation =
  | { outcome: 'admitted'; checkId: string }
  | { outcome: 'locked'; retryAfterSeconds: number; lockoutStarted: boolean }
  | { outcome: 'wait' };

/** How a check ended: the password matched, did not, or was never checked (the request gave up or failed). */
export type CheckResult = 'verified' | 'failed' | 'abandoned';

/**
 * Judges one check of `scope` (see `judgeAttempt`) and, if admitted, records it in flight until
 * `settle` or CHECK_HOLD_MS. Returns the answer and when the object must wake up to forget a lockout.
 */
export function reserve(
  sql: SqlStorage,
  scope: string,
  now: number,
  settings: LockoutSettings,
): { reservation: Reservation; wakeBy: number[] } {
  // A check whose request died stops holding its place here, without waiting for the alarm.
  sql.exec('DELETE FROM checks WHERE held_until <= ?', now);
  const verdict = judgeAttempt(read(sql, scope), inFlight(sql, scope, now), now, settings);
  switch (verdict.outcome) {
    case 'locked':
      return { reservation: { ...verdict, lockoutStarted: false }, wakeBy: [] };
    case 'wait':
      return { reservation: verdict, wakeBy: [] };
    case 'lockout':
      write(sql, scope, verdict.counter);
      return {
        reservation: { outcome: 'locked', retryAfterSeconds: verdict.retryAfterSeconds, lockoutStarted: true },
        wakeBy: [forgetAt(verdict.counter, settings)],
      };
    case 'admitted': {
      // Nothing is counted yet; `settle` reads the counter again when the check ends.
      const checkId = crypto.randomUUID();
      sql.exec('INSERT INTO checks (id, scope, held_until) VALUES (?, ?, ?)', checkId, scope, now + CHECK_HOLD_MS);
      return { reservation: { outcome: 'admitted', checkId }, wakeBy: [] };
    }
  }
}

/**
 * Ends an admitted check: a verified password forgets the scope's failures and lockout history, a
 * failed one counts, an abandoned one only frees its place. Returns when the counter may be forgotten.
 */
export function settle(
  sql: SqlStorage,
  scope: string,
  checkId: string,
  result: CheckResult,
  now: number,
  settings: LockoutSettings,
): number | null {
  sql.exec('DELETE FROM checks WHERE id = ?', checkId);
  if (result === 'abandoned') return null;
  const counter = settleCheck(read(sql, scope), result === 'verified', now, settings);
  if (!counter) {
    sql.exec('DELETE FROM attempts WHERE scope = ?', scope);
    return null;
  }
  write(sql, scope, counter);
  return forgetAt(counter, settings);
}

/**
 * Moves the counters of `from` into `into`'s (see `combine`), and their checks in flight with them,
 * so that what was counted apart counts together from now on. Returns when the result may be
 * forgotten, or null when no counter moved.
 */
export function fold(sql: SqlStorage, from: string[], into: string, now: number, settings: LockoutSettings): number | null {
  if (from.length === 0) return null;
  const scopes = `(${from.map(() => '?').join(', ')})`;
  // A check in flight settles on the scope it was admitted to (folded in by the next call); until then it holds a place here.
  sql.exec(`UPDATE checks SET scope = ? WHERE scope IN ${scopes}`, into, ...from);
  const moved = from.map((scope) => read(sql, scope)).filter((counter) => counter !== undefined);
  if (moved.length === 0) return null;
  sql.exec(`DELETE FROM attempts WHERE scope IN ${scopes}`, ...from);
  const counter = combine([read(sql, into), ...moved], now, settings)!;
  write(sql, into, counter);
  return forgetAt(counter, settings);
}

/**
 * A session's counter is kept for the session's whole life (no window renews it): its scopes start
 * with this, and their window is the session's lifetime.
 */
export const SESSION_SCOPE_PREFIX = 'session:';

/** How long each kind of counter counts: the failed-attempt window, and a session's whole life. */
export interface CounterWindows {
  windowMs: number;
  sessionWindowMs: number;
}

const WINDOW_OF_SCOPE = `(CASE WHEN substr(scope, 1, ${SESSION_SCOPE_PREFIX.length}) = '${SESSION_SCOPE_PREFIX}' THEN ? ELSE ? END)`;

export function forgetStale(sql: SqlStorage, now: number, windows: CounterWindows): void {
  const { sessionWindowMs, windowMs } = windows;
  sql.exec(
    `DELETE FROM attempts WHERE max(window_started_at, locked_until) + ${WINDOW_OF_SCOPE} <= ?`,
    sessionWindowMs,
    windowMs,
    now,
  );
  sql.exec('DELETE FROM checks WHERE held_until <= ?', now);
}

/** When the next counter may be forgotten, or null when there is none. */
export function nextForgettable(sql: SqlStorage, windows: CounterWindows): number | null {
  return sql
    .exec<{ at: number | null }>(
      `SELECT min(max(window_started_at, locked_until) + ${WINDOW_OF_SCOPE}) AS at FROM attempts`,
      windows.sessionWindowMs,
      windows.windowMs,
    )
    .one().at;
}

/** When the next check in flight stops holding its place, or null when there is none. */
export function nextCheckRelease(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(held_until) AS at FROM checks').one().at;
}

function inFlight(sql: SqlStorage, scope: string, now: number): number {
  return sql.exec<{ n: number }>('SELECT count(*) AS n FROM checks WHERE scope = ? AND held_until > ?', scope, now).one().n;
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
