/**
 * The bound on registrations per application key and client: each one costs a PBKDF2 derivation and
 * a strength estimate, through a key that may be public. Counted by Cloudflare's Rate Limiting
 * binding REGISTRATIONS before any of that work; every registration counts, so the binding (which
 * can neither peek nor refund) fits, and asking it is no call to a central store.
 */
import { REGISTRATIONS_PERIOD_SECONDS } from '../config';
import { ApiError } from '../errors';
import type { Log } from '../logging';
import { tooManyAttempts } from './attempts';

/** Spends one registration of the key and client's budget, or throws TOO_MANY_ATTEMPTS; a binding fault fails closed. */
export async function spendRegistration(limiter: RateLimit, budget: { apiKeyId: string; client: string }, log: Log): Promise<void> {
  let outcome: RateLimitOutcome;
  try {
    outcome = await limiter.limit({ key: `${budget.apiKeyId}:${budget.client}` });
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
  if (outcome.success) return;
  log('warn', 'tenant.register.rate_limited', {});
  throw tooManyAttempts(REGISTRATIONS_PERIOD_SECONDS);
}
