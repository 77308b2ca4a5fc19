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
 * - `lockout`: the window's budget is spent; a lockout starts now and the counter becomes `counter`.
 * - `counted`: the check may run; its failure is counted up front, so concurrent guesses cannot all
 *   slip in before any is recorded, and a verified password clears the counter afterwards.
 */
export type Verdict =
  | { outcome: 'locked'; retryAfterSeconds: number }
  | { outcome: 'lockout'; retryAfterSeconds: number; counter: AttemptCounter }
  | { outcome: 'counted'; counter: AttemptCounter };

/** Decides one password check from the scope's counter (undefined when it has none). No storage, no clock. */
export function judgeAttempt(counter: AttemptCounter | undefined, now: number, settings: LockoutSettings): Verdict {
  const current = counter ?? { failures: 0, windowStartedAt: now, lockedUntil: 0, lockouts: 0 };
  if (current.lockedUntil > now) {
    return { outcome: 'locked', retryAfterSeconds: Math.ceil((current.lockedUntil - now) / 1000) };
  }
  const windowExpired = now - current.windowStartedAt >= settings.failedAttemptWindowMs;
  const failures = windowExpired ? 0 : current.failures;
  if (failures >= settings.maxFailedAttempts) {
    const lockoutMs = Math.min(settings.lockoutMs * 2 ** current.lockouts, MAX_LOCKOUT_MINUTES * 60_000);
    return {
      outcome: 'lockout',
      retryAfterSeconds: Math.ceil(lockoutMs / 1000),
      counter: { failures: 0, windowStartedAt: now, lockedUntil: now + lockoutMs, lockouts: current.lockouts + 1 },
    };
  }
  return {
    outcome: 'counted',
    counter: {
      failures: failures + 1,
      windowStartedAt: windowExpired ? now : current.windowStartedAt,
      lockedUntil: 0,
      lockouts: current.lockouts,
    },
  };
}

/**
 * When a counter may be forgotten: its window has passed and any lockout, plus one window to
 * remember it by (so the next lockout still doubles), has ended.
 */
export function forgetAt(counter: AttemptCounter, settings: Pick<Settings, 'failedAttemptWindowMs'>): number {
  return Math.max(counter.windowStartedAt, counter.lockedUntil) + settings.failedAttemptWindowMs;
}
