import { DurableObject } from 'cloudflare:workers';
import { CHECK_HOLD_MS, CLIENT_BUDGET_WINDOW_MS } from '../config';
import { CheckWaiters } from './check-waiters';

/** What is left of a budget: failures still allowed in the window, and seconds until it resets. */
export interface BudgetLeft {
  remaining: number;
  resetSeconds: number;
}

export type BudgetAdmission = ({ outcome: 'admitted'; checkId: string } & BudgetLeft) | { outcome: 'refused'; retryAfterSeconds: number };

interface Window {
  startedAt: number;
  failures: number;
}

const WINDOW_KEY = 'window';

/**
 * One budget of failed logins per minute for one client of one application key (see
 * auth/login-spraying.ts): `client-budget:<key id>:<policy>:<address>`. Only failures count: a check
 * is admitted while the window's failures plus the checks in flight stay under the limit; a check
 * beyond it waits for those in flight (a verified one frees its place, a failed one counts), so
 * concurrent failures never exceed the limit and correct logins are never refused for each other.
 * The window's count is stored; the checks in flight only in memory, as they live no longer than
 * their requests. Nothing is kept once the window has passed.
 */
export class ClientBudget extends DurableObject<Env> {
  private readonly inFlight = new Map<string, number>();
  private readonly waiters = new CheckWaiters();

  async admit(limit: number): Promise<BudgetAdmission> {
    const answer = await this.waiters.until(() => this.judge(limit, Date.now()), Date.now);
    return answer === 'timeout' ? { outcome: 'refused', retryAfterSeconds: 1 } : answer;
  }

  /** Ends an admitted check; a failed one counts. Returns what is left after it. */
  async settle(checkId: string, failed: boolean, limit: number): Promise<BudgetLeft> {
    const now = Date.now();
    this.inFlight.delete(checkId);
    let window = this.current(now);
    if (failed) {
      window = { ...window, failures: window.failures + 1 };
      this.ctx.storage.kv.put(WINDOW_KEY, window);
      const ends = window.startedAt + CLIENT_BUDGET_WINDOW_MS;
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(ends);
    }
    this.waiters.wakeAll();
    return this.left(window, limit, now);
  }

  async alarm(): Promise<void> {
    const window = this.ctx.storage.kv.get<Window>(WINDOW_KEY);
    if (window && window.startedAt + CLIENT_BUDGET_WINDOW_MS > Date.now()) {
      await this.ctx.storage.setAlarm(window.startedAt + CLIENT_BUDGET_WINDOW_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
  }

  private judge(limit: number, now: number): BudgetAdmission | 'wait' {
    const window = this.current(now);
    if (window.failures >= limit) {
      return { outcome: 'refused', retryAfterSeconds: this.left(window, limit, now).resetSeconds };
    }
    for (const [id, heldUntil] of this.inFlight) if (heldUntil <= now) this.inFlight.delete(id);
    if (window.failures + this.inFlight.size >= limit) return 'wait';
    const checkId = crypto.randomUUID();
    this.inFlight.set(checkId, now + CHECK_HOLD_MS);
    return { outcome: 'admitted', checkId, ...this.left(window, limit, now) };
  }

  /** The window as it stands: one that has passed holds no failures, and the next starts now. */
  private current(now: number): Window {
    const stored = this.ctx.storage.kv.get<Window>(WINDOW_KEY);
    return stored && now - stored.startedAt < CLIENT_BUDGET_WINDOW_MS ? stored : { startedAt: now, failures: 0 };
  }

  private left(window: Window, limit: number, now: number): BudgetLeft {
    const resetSeconds = Math.max(1, Math.ceil((window.startedAt + CLIENT_BUDGET_WINDOW_MS - now) / 1000));
    return { remaining: Math.max(0, limit - window.failures), resetSeconds };
  }
}
