import { and, eq, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { auditEvents, passwordHistory, tenants, type Tenant } from '../db/schema';

export type Database = ReturnType<typeof openDatabase>;

export function openDatabase(d1: D1Database) {
  return drizzle(d1);
}

export interface NewTenant {
  userName: string;
  firstName: string;
  lastName: string;
  phoneNumber: string | null;
  passwordHash: string;
}

export function newTenantId(): string {
  return crypto.randomUUID().toUpperCase();
}

/** Inserts the tenant unless the user name is taken; returns the new id, or null when taken. */
export async function createTenant(db: Database, tenant: NewTenant, now: number): Promise<string | null> {
  const id = newTenantId();
  const inserted = await db
    .insert(tenants)
    .values({ id, ...tenant, createdAt: now })
    .onConflictDoNothing({ target: tenants.userName })
    .returning({ id: tenants.id });
  return inserted.length === 1 ? id : null;
}

export async function findTenantById(db: Database, id: string): Promise<Tenant | undefined> {
  return db.select().from(tenants).where(eq(tenants.id, id)).get();
}

export async function findTenantByUserName(db: Database, userName: string): Promise<Tenant | undefined> {
  return db.select().from(tenants).where(eq(tenants.userName, userName)).get();
}

/** Stores a fresh stamp, superseding any earlier one. Returns false when the row is gone. */
export async function storeConcurrencyStamp(db: Database, id: string, stamp: string, now: number): Promise<boolean> {
  const updated = await db
    .update(tenants)
    .set({ concurrencyStamp: stamp, concurrencyStampIssuedAt: now })
    .where(eq(tenants.id, id))
    .returning({ id: tenants.id });
  return updated.length === 1;
}

export interface PasswordChange {
  tenantId: string;
  presentedStamp: string;
  /** Stamps issued at or before this instant have expired. */
  stampsIssuedAfter: number;
  previousHash: string;
  newHash: string;
  /** Replaces the consumed stamp, so a replay finds nothing to match. */
  rotatedStamp: string;
  now: number;
  requestId: string;
}

/**
 * One D1 batch (a single transaction): the conditional UPDATE on the stamp, then the history and
 * audit rows, which are inserted only if the UPDATE matched (their SELECT finds the rotated stamp).
 * Returns true when this call won the stamp.
 */
export async function commitPasswordChange(db: Database, change: PasswordChange): Promise<boolean> {
  const wonTheStamp = and(eq(tenants.id, change.tenantId), eq(tenants.concurrencyStamp, change.rotatedStamp));
  const [updated] = await db.batch([
    db
      .update(tenants)
      .set({
        passwordHash: change.newHash,
        concurrencyStamp: change.rotatedStamp,
        concurrencyStampIssuedAt: null,
        passwordChangedAt: change.now,
      })
      .where(
        and(
          eq(tenants.id, change.tenantId),
          eq(tenants.concurrencyStamp, change.presentedStamp),
          gt(tenants.concurrencyStampIssuedAt, change.stampsIssuedAfter),
          eq(tenants.isDisabled, false),
        ),
      )
      .returning({ id: tenants.id }),
    db.insert(passwordHistory).select(
      db
        .select({
          id: sql<number>`null`.as('id'),
          tenantId: tenants.id,
          passwordHash: sql<string>`${change.previousHash}`.as('password_hash'),
          createdAt: sql<number>`${change.now}`.as('created_at'),
        })
        .from(tenants)
        .where(wonTheStamp),
    ),
    db.insert(auditEvents).select(
      db
        .select({
          id: sql<number>`null`.as('id'),
          tenantId: tenants.id,
          event: sql<string>`'password.change'`.as('event'),
          outcome: sql<string>`'success'`.as('outcome'),
          requestId: sql<string>`${change.requestId}`.as('request_id'),
          createdAt: sql<number>`${change.now}`.as('created_at'),
        })
        .from(tenants)
        .where(wonTheStamp),
    ),
  ]);
  return updated.length === 1;
}

/**
 * Whether a change whose outcome is unknown (D1 reported an error, possibly after committing) did
 * commit: only the winning write leaves its rotated stamp on the row. Decided by reading, never by retrying.
 */
export async function passwordChangeCommitted(db: Database, tenantId: string, rotatedStamp: string): Promise<boolean> {
  const row = await db
    .select({ id: tenants.id })
    .from(tenants)
    .where(and(eq(tenants.id, tenantId), eq(tenants.concurrencyStamp, rotatedStamp)))
    .get();
  return row !== undefined;
}

/** Whether the change made by `requestId` committed: its audit row is written in the same batch. */
export async function passwordChangeSucceeded(db: Database, tenantId: string, requestId: string): Promise<boolean> {
  const row = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        eq(auditEvents.requestId, requestId),
        eq(auditEvents.event, 'password.change'),
        eq(auditEvents.outcome, 'success'),
      ),
    )
    .get();
  return row !== undefined;
}

/** Replaces a hash made with weaker parameters, only if nothing changed it meanwhile. */
export async function upgradePasswordHash(db: Database, id: string, oldHash: string, newHash: string): Promise<void> {
  await db
    .update(tenants)
    .set({ passwordHash: newHash })
    .where(and(eq(tenants.id, id), eq(tenants.passwordHash, oldHash)));
}

export async function recentPasswordHashes(db: Database, tenantId: string, count: number): Promise<string[]> {
  const rows = await db
    .select({ passwordHash: passwordHistory.passwordHash })
    .from(passwordHistory)
    .where(eq(passwordHistory.tenantId, tenantId))
    .orderBy(sql`${passwordHistory.createdAt} desc, ${passwordHistory.id} desc`)
    .limit(count);
  return rows.map((row) => row.passwordHash);
}

export async function recordAuditEvent(
  db: Database,
  event: { tenantId: string | null; event: string; outcome: string; requestId: string; now: number },
): Promise<void> {
  await db.insert(auditEvents).values({
    tenantId: event.tenantId,
    event: event.event,
    outcome: event.outcome,
    requestId: event.requestId,
    createdAt: event.now,
  });
}
