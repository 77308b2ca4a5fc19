/**
 * Password checks waiting, inside a Durable Object, for checks in flight to finish: when those hold
 * what is left of the failure budget, a new check is neither refused nor counted in advance, but
 * waits to see whether they fail. Awaiting a plain promise leaves the object's input open, so the
 * `finish` calls that wake the waiters are delivered meanwhile. Kept in memory: a waiter lives
 * only as long as its request, and a restarted object has none.
 */
import { CHECK_WAIT_MS } from '../config';

export class CheckWaiters {
  private readonly waiting = new Set<() => void>();

  /**
   * Calls `attempt` until it answers something other than 'wait', waking whenever a check finishes,
   * for at most CHECK_WAIT_MS in all. Returns 'timeout' when the checks in flight outlast the wait.
   */
  async until<T>(attempt: () => T | 'wait', now: () => number): Promise<T | 'timeout'> {
    const deadline = now() + CHECK_WAIT_MS;
    for (;;) {
      const answer = attempt();
      if (answer !== 'wait') return answer;
      const left = deadline - now();
      if (left <= 0) return 'timeout';
      await this.nextFinish(left);
    }
  }

  /** Wakes every waiter, to judge again; called whenever a check of this object finishes. */
  wakeAll(): void {
    for (const wake of [...this.waiting]) wake();
  }

  private nextFinish(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }
}
