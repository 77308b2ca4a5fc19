import { MAX_LOCKOUT_MINUTES, type Settings } from '../config';

/** One scope's failed-attempt counter. */
export interface AttemptCounter {
  failures: number;
  windowStartedAt: number;
  /** 0 when no lockout was started since the last one ended. */
  lockedUntil: number;
  /** Lockouts in a row; each one doubles the next. */
  lockouts: number;
}

export type LockoutSettings = Pick<Settings, 'maxFailedAttempts' | 'failedAttemptWindowMs' | 'lockoutMs'>;

/**
 * - `locked`: an earlier lockout still runs; the counter stays as it is.
 * - `lockout`: the window's budget is spent by failures; a lockout starts now and the counter becomes `counter`.
 * - `wait`: what is left of the budget is taken by checks still in flight; whether they fail decides.
 * - `admitted`: the check may run. It is not counted yet: a finished check either clears the counter
 *   (verified) or becomes a failure (`settleCheck`), so concurrent correct checks never refuse each other.
 */
export type Verdict =
  | { outcome: 'locked'; retryAfterSeconds: number }
  | { outcome: 'lockout'; retryAfterSeconds: number; counter: AttemptCounter }
  | { outcome: 'wait' }
  | { outcome: 'admitted'; counter: AttemptCounter };

const emptyCounter = (now: number): AttemptCounter => ({ failures: 0, windowStartedAt: now, lockedUntil: 0, lockouts: 0 });

/** The counter as it stands at `now`: a window that has passed holds no failures. */
function current(counter: AttemptCounter | undefined, now: number, settings: LockoutSettings): AttemptCounter {
  const base = counter ?? emptyCounter(now);
  if (now - base.windowStartedAt < settings.failedAttemptWindowMs) return base;
  return { ...base, failures: 0, windowStartedAt: now };
}

/**
 * Decides one password check from the scope's counter (undefined when it has none) and the number
 * of its checks in flight. No storage, no clock.
 */
export function judgeAttempt(
  counter: AttemptCounter | undefined,
  inFlight: number,
  now: number,
  settings: LockoutSettings,
): Verdict {
  if (counter && counter.lockedUntil > now) {
    return { outcome: 'locked', retryAfterSeconds: Math.ceil((counter.lockedUntil - now) / 1000) };
  }
  const { failures, windowStartedAt, lockouts } = current(counter, now, settings);
  if (failures >= settings.maxFailedAttempts) {
    const lockoutMs = Math.min(settings.lockoutMs * 2 ** lockouts, MAX_LOCKOUT_MINUTES * 60_000);
    return {
      outcome: 'lockout',
      retryAfterSeconds: Math.ceil(lockoutMs / 1000),
      counter: { failures: 0, windowStartedAt: now, lockedUntil: now + lockoutMs, lockouts: lockouts + 1 },
    };
  }
  if (failures + inFlight >= settings.maxFailedAttempts) return { outcome: 'wait' };
  return { outcome: 'admitted', counter: { failures, windowStartedAt, lockedUntil: 0, lockouts } };
}

/**
 * Several counters as one, at `now`: their current failures added up, the latest window (so none of
 * them is forgotten sooner than it would have been) and the longest lockout and lockout history.
 */
export function combine(counters: (AttemptCounter | undefined)[], now: number, settings: LockoutSettings): AttemptCounter | undefined {
  const present = counters.filter((counter) => counter !== undefined).map((counter) => current(counter, now, settings));
  if (present.length === 0) return undefined;
  return {
    failures: present.reduce((sum, counter) => sum + counter.failures, 0),
    windowStartedAt: Math.max(...present.map((counter) => counter.windowStartedAt)),
    lockedUntil: Math.max(...present.map((counter) => counter.lockedUntil)),
    lockouts: Math.max(...present.map((counter) => counter.lockouts)),
  };
}

/**
 * The counter after a finished check: forgotten (undefined) after a verified password, lockout
 * history included; one more failure otherwise, in a fresh window if the old one has passed.
 */
export function settleCheck(
  counter: AttemptCounter | undefined,
  verified: boolean,
  now: number,
  settings: LockoutSettings,
): AttemptCounter | undefined {
  if (verified) return undefined;
  const settled = current(counter, now, settings);
  return { ...settled, failures: settled.failures + 1 };
}

/**
 * When a counter may be forgotten: its window has passed and any lockout, plus one window to
 * remember it by (so the next lockout still doubles), has ended.
 */
export function forgetAt(counter: AttemptCounter, settings: Pick<Settings, 'failedAttemptWindowMs'>): number {
  return Math.max(counter.windowStartedAt, counter.lockedUntil) + settings.failedAttemptWindowMs;
}
