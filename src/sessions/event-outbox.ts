/**
 * Security events a Durable Object records (a lockout, a session revoked for guessing), in its
 * `events` table. `record` runs in the same synchronous step as the state change that causes the
 * event, so the event exists if and only if that change was stored; `sendPending` hands the events
 * to the EVENTS queue and forgets them once it has taken them. The object retries from its alarm.
 */
import { OBJECT_EVENT_RESEND_MS } from '../config';
import { describeError } from '../errors';
import type { EventMessage } from '../security-events';
import { logJob } from '../logging';

/** A queue send takes at most 100 messages. */
const SEND_BATCH = 100;

export function record(sql: SqlStorage, event: EventMessage, now: number): void {
  sql.exec('INSERT INTO events (id, body, created_at) VALUES (?, ?, ?)', event.id, JSON.stringify(event), now);
}

/** Sends every recorded event, oldest first; throws, keeping what was not taken, when the queue fails. */
export async function sendPending(sql: SqlStorage, queue: Queue): Promise<number> {
  let sent = 0;
  for (;;) {
    const rows = sql
      .exec<{ id: string; body: string }>('SELECT id, body FROM events ORDER BY created_at, id LIMIT ?', SEND_BATCH)
      .toArray();
    if (rows.length === 0) return sent;
    await queue.sendBatch(rows.map((row) => ({ body: JSON.parse(row.body) as EventMessage, contentType: 'json' as const })));
    for (const row of rows) sql.exec('DELETE FROM events WHERE id = ?', row.id);
    sent += rows.length;
  }
}

/** When to try sending again if the events recorded now are still here, or null when there are none. */
export function nextResend(sql: SqlStorage, now: number): number | null {
  const pending = sql.exec<{ n: number }>('SELECT count(*) AS n FROM events').one().n;
  return pending > 0 ? now + OBJECT_EVENT_RESEND_MS : null;
}

/** Sends one object's events one run at a time, so two steps never hand the same rows over twice. */
export class EventSender {
  private running: Promise<void> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly queue: Queue,
  ) {}

  /**
   * After a step that may have recorded events: starts handing them to the queue, and returns when
   * the object should wake to try again should that fail (nothing when there are none).
   */
  sendSoon(ctx: DurableObjectState): number[] {
    const retryAt = nextResend(this.sql, Date.now());
    if (retryAt === null) return [];
    ctx.waitUntil(this.send());
    return [retryAt];
  }

  /** Sends what is recorded; a failure is logged, and what was not taken waits for the next try. */
  send(): Promise<void> {
    this.running ??= sendPending(this.sql, this.queue)
      .then(
        () => undefined,
        (cause) => logJob('warn', 'events.object_send_deferred', { cause: describeError(cause) }),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
