/**
 * The bound on password spraying and credential stuffing (one guess each at many user names): a
 * budget of failed logins per application key and client, across all user names, kept by one
 * ClientBudget object per key and client (and per key and IPv6 /48, with NETWORK_BUDGET_FACTOR times
 * the limit). Only failures count, so a portal logging in hundreds of users a minute from one server
 * is never refused for them. The objects are asked before the login object and before any password
 * check, whatever X-Device-Token holds; a client they refuse is refused unless it is a known device
 * of the user it names, which only the login object can tell (it then admits nothing else).
 */
import { CLIENT_BUDGET_WINDOW_MS } from '../config';
import { ApiError } from '../errors';
import type { Log } from '../logging';
import type { BudgetAdmission, BudgetLeft, ClientBudget } from '../sessions/client-budget';
import { tooManyAttempts } from './attempts';

const POLICY = 'failed-logins';
const WINDOW_SECONDS = CLIENT_BUDGET_WINDOW_MS / 1000;

/** One budget a login is charged to: the client's, or its IPv6 network's. */
export interface SprayBudget {
  stub: DurableObjectStub<ClientBudget>;
  limit: number;
}

/** What the client's budgets said: the checks they admitted (to settle), what is left, and whether any refused. */
export interface SprayCheck {
  admitted: { budget: SprayBudget; checkId: string }[];
  left: BudgetLeft;
  /** Seconds until the refusing budget resets, when one refused. */
  refusedFor?: number;
}

/** The IETF RateLimit-Policy header's value (draft-ietf-httpapi-ratelimit-headers) for `perMinute`. */
export function loginRateLimitPolicy(perMinute: number): string {
  return `"${POLICY}";q=${perMinute};w=${WINDOW_SECONDS}`;
}

/** The IETF RateLimit header's value: failures left (r) and seconds until the window resets (t). */
export function loginRateLimit(left: BudgetLeft): string {
  return `"${POLICY}";r=${left.remaining};t=${left.resetSeconds}`;
}

async function ask<T>(question: () => Promise<T>): Promise<T> {
  try {
    return await question();
  } catch (cause) {
    // A budget that cannot be asked refuses nothing and counts nothing: the login fails closed.
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

/** Asks every budget of the client at once; the tightest one is what is left. */
export async function admitToSpray(budgets: SprayBudget[]): Promise<SprayCheck> {
  const answers = await ask(() =>
    Promise.all(budgets.map(async (budget) => ({ budget, answer: (await budget.stub.admit(budget.limit)) as BudgetAdmission }))),
  );
  const admitted = answers.flatMap(({ budget, answer }) => (answer.outcome === 'admitted' ? [{ budget, checkId: answer.checkId }] : []));
  const refusals = answers.flatMap(({ answer }) => (answer.outcome === 'refused' ? [answer.retryAfterSeconds] : []));
  if (refusals.length > 0) {
    // A refused login checks nothing: the places the other budgets gave it are freed at once.
    await settleSpray({ admitted, left: { remaining: 0, resetSeconds: 0 } }, false);
    const refusedFor = Math.max(...refusals);
    return { admitted: [], left: { remaining: 0, resetSeconds: refusedFor }, refusedFor };
  }
  const lefts = answers.map(({ answer }) => answer as Extract<BudgetAdmission, { outcome: 'admitted' }>);
  return { admitted, left: tightest(lefts) };
}

/** Ends the check in every budget that admitted it (a failure counts in each); returns what is left. */
export async function settleSpray(check: SprayCheck, failed: boolean): Promise<BudgetLeft> {
  if (check.admitted.length === 0) return check.left;
  const lefts = await ask(() =>
    Promise.all(check.admitted.map(({ budget, checkId }) => budget.stub.settle(checkId, failed, budget.limit) as Promise<BudgetLeft>)),
  );
  return tightest(lefts);
}

function tightest(lefts: BudgetLeft[]): BudgetLeft {
  const [first, ...rest] = lefts;
  return rest.reduce((a, b) => (b.remaining < a.remaining ? b : a), first);
}

/** The refusal of a client whose budget is spent: 429, Retry-After and the RateLimit header. */
export function sprayRefusal(check: SprayCheck, log: Log): ApiError {
  log('warn', 'auth.login.rate_limited', {});
  return tooManyAttempts(check.refusedFor ?? 1, { RateLimit: loginRateLimit(check.left) });
}
