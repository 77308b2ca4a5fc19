/** Handing committed events to the EVENTS queue, and noting it on their outbox rows. */
import { describeError } from '../errors';
import { logJob } from '../logging';
import { openDatabase, type Database } from '../db/database';
import type { EventMessage } from '../security-events';
import { markEnqueued } from '../db/outbox';

/** At most 100 messages per send (a Queues limit). */
export async function enqueueEvents(queue: Queue, db: Database, events: EventMessage[], now: number): Promise<void> {
  if (events.length === 0) return;
  await queue.sendBatch(events.map((body) => ({ body, contentType: 'json' as const })));
  await markEnqueued(
    db,
    events.map((event) => event.id),
    now,
  );
}

/**
 * Runs after the response: the row is committed already, so a failure here only delays the event
 * until the cron sweep finds the row never enqueued.
 */
export async function enqueueCommitted(env: Env, event: EventMessage): Promise<void> {
  try {
    await enqueueEvents(env.EVENTS, openDatabase(env.DB), [event], Date.now());
  } catch (cause) {
    logJob('warn', 'events.enqueue_deferred', { eventId: event.id, cause: describeError(cause) });
  }
}
