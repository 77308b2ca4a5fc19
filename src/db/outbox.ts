/** The `event_outbox` table in D1: what each event's delivery came to, and what no request sent yet. */
import { and, asc, eq, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { EventMessage, type EventType } from '../security-events';
import type { Database } from './database';
import { eventOutbox, tenants, webhookEndpoints } from './schema';

/**
 * The event's row, as a statement for the batch that commits its cause: the row is inserted only
 * where `cause` holds on the tenant's row and the tenant's business has a webhook endpoint, so it
 * exists if and only if the cause committed and somebody is owed the event. The business is the
 * tenant's own. Returns the id of the row inserted, if any: nothing is sent for a business without
 * an endpoint, which would only be settled as owed to nobody.
 */
export function insertEventIf(db: Database, event: EventMessage, cause: SQL | undefined) {
  const owed = sql`exists (select 1 from ${webhookEndpoints} where ${webhookEndpoints.businessId} = ${tenants.businessId})`;
  return db
    .insert(eventOutbox)
    .select(
      db
        .select({
          id: sql<string>`${event.id}`.as('id'),
          businessId: tenants.businessId,
          tenantId: tenants.id,
          type: sql<string>`${event.type}`.as('type'),
          payload: sql<string>`${JSON.stringify(event.data)}`.as('payload'),
          createdAt: sql<number>`${Date.parse(event.occurredAt)}`.as('created_at'),
          enqueuedAt: sql<null>`null`.as('enqueued_at'),
          deliveredAt: sql<null>`null`.as('delivered_at'),
          failedAt: sql<null>`null`.as('failed_at'),
          attempts: sql<number>`0`.as('attempts'),
          lastStatus: sql<null>`null`.as('last_status'),
        })
        .from(tenants)
        .where(and(cause, owed)),
    )
    .returning({ id: eventOutbox.id });
}

export async function markEnqueued(db: Database, ids: string[], now: number): Promise<void> {
  if (ids.length > 0) await db.update(eventOutbox).set({ enqueuedAt: now }).where(inArray(eventOutbox.id, ids));
}

/** Whether the event is settled already (delivered, owed to no endpoint, or failed), so a duplicate message is dropped. */
export async function isSettled(db: Database, id: string): Promise<boolean> {
  const row = await db
    .select({ deliveredAt: eventOutbox.deliveredAt, failedAt: eventOutbox.failedAt })
    .from(eventOutbox)
    .where(eq(eventOutbox.id, id))
    .get();
  return row !== undefined && (row.deliveredAt !== null || row.failedAt !== null);
}

export interface Outcome {
  /** An HTTP status or a short error name (`timeout`, `network_error`, `no_endpoint`, …); never a body. */
  status: string;
  /** Whether a request went out: `no_endpoint` and refused destinations are not attempts. */
  attempted: boolean;
  settled: 'delivered' | 'failed' | null;
}

/**
 * Records one delivery attempt's outcome. Events recorded by a Durable Object have no row until
 * their first attempt, so this inserts the row when it is missing. An attempt proves the queue has
 * the event: the row counts as enqueued from now on, so the sweep never starts a second retry chain
 * beside this one even if the request that sent it could not mark it.
 */
export async function recordOutcome(db: Database, event: EventMessage, outcome: Outcome, now: number): Promise<void> {
  await db
    .insert(eventOutbox)
    .values({
      ...rowOf(event, now),
      deliveredAt: outcome.settled === 'delivered' ? now : null,
      failedAt: outcome.settled === 'failed' ? now : null,
      attempts: outcome.attempted ? 1 : 0,
      lastStatus: outcome.status,
    })
    .onConflictDoUpdate({
      target: eventOutbox.id,
      set: {
        attempts: sql`${eventOutbox.attempts} + excluded.attempts`,
        enqueuedAt: sql`coalesce(${eventOutbox.enqueuedAt}, excluded.enqueued_at)`,
        lastStatus: sql`excluded.last_status`,
        deliveredAt: sql`coalesce(${eventOutbox.deliveredAt}, excluded.delivered_at)`,
        failedAt: sql`coalesce(${eventOutbox.failedAt}, excluded.failed_at)`,
      },
    });
}

/** Marks an event whose retries ran out, keeping the status of its last attempt. */
export async function recordDeadLetter(db: Database, event: EventMessage, now: number): Promise<void> {
  await db
    .insert(eventOutbox)
    .values({ ...rowOf(event, now), failedAt: now })
    .onConflictDoUpdate({ target: eventOutbox.id, set: { failedAt: sql`coalesce(${eventOutbox.failedAt}, excluded.failed_at)` } });
}

/** The row of an event that reached the queue without one (it came from a Durable Object). */
function rowOf(event: EventMessage, now: number) {
  return {
    id: event.id,
    businessId: event.businessId,
    tenantId: event.tenantId,
    type: event.type,
    payload: JSON.stringify(event.data),
    createdAt: Date.parse(event.occurredAt),
    enqueuedAt: now,
  };
}

/** Events committed before `before` that no request handed to the queue, oldest first. */
export async function unsentEvents(db: Database, before: number, limit: number): Promise<EventMessage[]> {
  const rows = await db
    .select()
    .from(eventOutbox)
    .where(and(isNull(eventOutbox.enqueuedAt), lt(eventOutbox.createdAt, before)))
    .orderBy(asc(eventOutbox.createdAt))
    .limit(limit);
  return rows.map((row) =>
    EventMessage.parse({
      id: row.id,
      type: row.type as EventType,
      businessId: row.businessId,
      tenantId: row.tenantId,
      occurredAt: new Date(row.createdAt).toISOString(),
      data: JSON.parse(row.payload),
    }),
  );
}
