/**
 * The bound on password spraying and credential stuffing (one guess each at many user names): a
 * budget of logins per application key and client address, across all user names, kept by
 * Cloudflare's Rate Limiting binding LOGIN_FAILURES. The binding can neither be asked how much is
 * left nor give a unit back, so a login cannot be charged only once it has failed: it would have to
 * be let through first, and a spent budget could then refuse nothing. Every login that is not from a
 * known device of the user it names therefore spends one unit before its password is checked.
 * Known devices spend nothing, so the owner is never caught in someone else's spray, and a portal
 * that forwards its users' device tokens spends the budget on first logins and guesses only.
 */
import { LOGIN_FAILURES_PERIOD_SECONDS } from '../config';
import { ApiError } from '../errors';
import type { Log } from '../logging';
import { tooManyAttempts } from './attempts';

const POLICY = 'failed-logins';

/** The IETF RateLimit-Policy header's value (draft-ietf-httpapi-ratelimit-headers) for `perMinute`. */
export function loginRateLimitPolicy(perMinute: number): string {
  return `"${POLICY}";q=${perMinute};w=${LOGIN_FAILURES_PERIOD_SECONDS}`;
}

/**
 * Spends one login of the key and client's budget, or throws TOO_MANY_ATTEMPTS with Retry-After
 * and the RateLimit headers. The binding failing is a server fault: the check fails closed.
 */
export async function spendLoginBudget(
  limiter: RateLimit,
  budget: { apiKeyId: string; address: string; perMinute: number },
  log: Log,
): Promise<void> {
  let outcome: RateLimitOutcome;
  try {
    outcome = await limiter.limit({ key: `${budget.apiKeyId}:${budget.address}` });
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
  if (outcome.success) return;
  log('warn', 'auth.login.rate_limited', { apiKeyId: budget.apiKeyId });
  throw tooManyAttempts(LOGIN_FAILURES_PERIOD_SECONDS, {
    'RateLimit-Policy': loginRateLimitPolicy(budget.perMinute),
    RateLimit: `"${POLICY}";r=0;t=${LOGIN_FAILURES_PERIOD_SECONDS}`,
  });
}
