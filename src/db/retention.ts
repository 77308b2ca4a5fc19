/**
 * Deleting what retention lets go, one bounded batch per statement: each DELETE takes at most
 * `limit` rows found through an index on the time that expires them, so no statement holds D1's
 * write lock for long, whatever the backlog.
 */
import { and, inArray, isNotNull, lt } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Database } from './database';
import { auditEvents, eventOutbox } from './schema';

/** Deletes up to `limit` audit rows written before `before`; returns how many went. */
export async function deleteAuditBatch(db: Database, before: number, limit: number): Promise<number> {
  const expired = db.select({ id: auditEvents.id }).from(auditEvents).where(lt(auditEvents.createdAt, before)).limit(limit);
  const result = await db.delete(auditEvents).where(inArray(auditEvents.id, expired)).run();
  return result.meta.changes;
}

/** Deletes up to `limit` outbox rows whose `settledAt` (delivery or final failure) is before `before`. */
async function deleteEventsSettledBefore(db: Database, settledAt: AnySQLiteColumn, before: number, limit: number): Promise<number> {
  const expired = db
    .select({ id: eventOutbox.id })
    .from(eventOutbox)
    .where(and(isNotNull(settledAt), lt(settledAt, before)))
    .limit(limit);
  const result = await db.delete(eventOutbox).where(inArray(eventOutbox.id, expired)).run();
  return result.meta.changes;
}

/** Deletes up to `limit` events delivered (or owed to no endpoint) before `before`. */
export const deleteDeliveredEventBatch = (db: Database, before: number, limit: number) =>
  deleteEventsSettledBefore(db, eventOutbox.deliveredAt, before, limit);

/** Deletes up to `limit` events whose retries ran out before `before`. */
export const deleteFailedEventBatch = (db: Database, before: number, limit: number) =>
  deleteEventsSettledBefore(db, eventOutbox.failedAt, before, limit);
