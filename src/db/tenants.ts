import { and, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { EventMessage } from '../security-events';
import { tenantOfBusiness, type Database } from './database';
import { pruneHistory } from './history';
import { insertEventIf } from './outbox';
import { auditEvents, passwordHistory, tenants, type Tenant } from './schema';

export interface NewTenant {
  businessId: string;
  userName: string;
  firstName: string;
  lastName: string;
  phoneNumber: string | null;
  passwordHash: string;
  /** The salt `passwordHash` was derived under, kept for every later hash of the tenant. */
  passwordSalt: string;
}

export function newTenantId(): string {
  return crypto.randomUUID().toUpperCase();
}

/** Inserts the tenant unless its business has the user name already; returns the new id, or null when taken. */
export async function createTenant(db: Database, tenant: NewTenant, now: number): Promise<string | null> {
  const id = newTenantId();
  const inserted = await db
    .insert(tenants)
    .values({ id, ...tenant, createdAt: now })
    .onConflictDoNothing({ target: [tenants.businessId, tenants.userName] })
    .returning({ id: tenants.id });
  return inserted.length === 1 ? id : null;
}

export const selectTenantOf = (db: Database, businessId: string, condition: SQL) =>
  db.select().from(tenants).where(tenantOfBusiness(businessId, condition));

async function findTenantOf(db: Database, businessId: string, condition: SQL): Promise<Tenant | undefined> {
  return selectTenantOf(db, businessId, condition).get();
}

export const findTenantById = (db: Database, businessId: string, id: string) => findTenantOf(db, businessId, eq(tenants.id, id));

export const findTenantByUserName = (db: Database, businessId: string, userName: string) =>
  findTenantOf(db, businessId, eq(tenants.userName, userName));

/**
 * In one conditional write: renews the tenant's live stamp (issued after `liveAfter`), or replaces a
 * missing, expired or consumed one with `fresh`, and returns the stamp now live. Null when the
 * tenant is not there or cannot take a change (no credentials, disabled), which the caller tells apart.
 */
export async function liveConcurrencyStamp(
  db: Database,
  tenant: { businessId: string; id: string },
  stamps: { fresh: string; liveAfter: number; now: number },
): Promise<string | null> {
  const isLive = and(sql`${tenants.concurrencyStamp} is not null`, gt(tenants.concurrencyStampIssuedAt, stamps.liveAfter));
  const [row] = await db
    .update(tenants)
    .set({
      concurrencyStamp: sql`case when ${isLive} then ${tenants.concurrencyStamp} else ${stamps.fresh} end`,
      concurrencyStampIssuedAt: stamps.now,
    })
    .where(
      and(
        eq(tenants.businessId, tenant.businessId),
        eq(tenants.id, tenant.id),
        sql`${tenants.passwordHash} is not null`,
        eq(tenants.isDisabled, false),
      ),
    )
    .returning({ stamp: tenants.concurrencyStamp });
  return row?.stamp ?? null;
}

export interface PasswordChange {
  tenantId: string;
  presentedStamp: string;
  /** Stamps issued at or before this instant have expired. */
  stampsIssuedAfter: number;
  previousHash: string;
  newHash: string;
  /** The tenant's salt, under which `newHash` was derived: unchanged, or set now for an imported tenant. */
  passwordSalt: string;
  /** How many retired hashes to keep after this change; older ones are deleted in the same batch. */
  historyKept: number;
  /** Replaces the consumed stamp, so a replay finds nothing to match. */
  rotatedStamp: string;
  /** The device the changing session was opened from, or null when it was opened from none we know. */
  changedByDevice: string | null;
  now: number;
  requestId: string;
  /** `tenant.password_changed`, written to the outbox by the same batch. */
  event: EventMessage;
}

/** Whether the change won the stamp, and whether its event was recorded for delivery (see insertEventIf). */
export interface CommittedChange {
  committed: boolean;
  eventRecorded: boolean;
}

/**
 * One D1 batch (a single transaction): the conditional UPDATE on the stamp, then the history row,
 * the audit row and the event's outbox row, inserted only if the UPDATE matched (their SELECT finds
 * the rotated stamp).
 */
export async function commitPasswordChange(db: Database, change: PasswordChange): Promise<CommittedChange> {
  const onTheStamp = and(
    eq(tenants.concurrencyStamp, change.presentedStamp),
    gt(tenants.concurrencyStampIssuedAt, change.stampsIssuedAfter),
  );
  return commitPasswordWrite(db, change, onTheStamp, 'password.change');
}

/** A password reset's write: the change's fields, guarded by the credential generation instead of a stamp. */
export interface PasswordReset extends Omit<PasswordChange, 'presentedStamp' | 'stampsIssuedAfter'> {
  /** The `password_changed_at` (0: never changed) the reset token was issued under: any change since has consumed it. */
  issuedGeneration: number;
}

/**
 * As commitPasswordChange, for a reset (src/tenants/password-reset.ts): the UPDATE matches only while
 * the tenant's `password_changed_at` is still the one the token was issued under, and moves it, so
 * the same batch that sets the password consumes the token; every device token but the completing
 * client's (if any) shares the devices-before-change budget. It rotates the stamp too: a change in flight loses.
 */
export async function commitPasswordReset(db: Database, reset: PasswordReset): Promise<CommittedChange> {
  const underIssuedGeneration = sql`coalesce(${tenants.passwordChangedAt}, 0) = ${reset.issuedGeneration}`;
  return commitPasswordWrite(db, reset, underIssuedGeneration, 'password.reset');
}

type AuditedWrite = 'password.change' | 'password.reset';

async function commitPasswordWrite(
  db: Database,
  change: Omit<PasswordChange, 'presentedStamp' | 'stampsIssuedAfter'>,
  guard: SQL | undefined,
  audited: AuditedWrite,
): Promise<CommittedChange> {
  const wonTheStamp = and(eq(tenants.id, change.tenantId), eq(tenants.concurrencyStamp, change.rotatedStamp));
  const [updated, , , , recorded] = await db.batch([
    db
      .update(tenants)
      .set({
        passwordHash: change.newHash,
        passwordSalt: change.passwordSalt,
        concurrencyStamp: change.rotatedStamp,
        concurrencyStampIssuedAt: null,
        passwordChangedAt: change.now,
        passwordChangedByDevice: change.changedByDevice,
      })
      .where(and(eq(tenants.id, change.tenantId), guard, eq(tenants.isDisabled, false)))
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
          event: sql<string>`${audited}`.as('event'),
          outcome: sql<string>`'success'`.as('outcome'),
          requestId: sql<string>`${change.requestId}`.as('request_id'),
          createdAt: sql<number>`${change.now}`.as('created_at'),
        })
        .from(tenants)
        .where(wonTheStamp),
    ),
    pruneHistory(db, change.tenantId, change.historyKept),
    insertEventIf(db, change.event, wonTheStamp),
  ]);
  return { committed: updated.length === 1, eventRecorded: recorded.length === 1 };
}

/**
 * When the change (or reset) made by `requestId` committed (the `password_changed_at` it wrote), or
 * null if it did not: its audit row is written in the same batch, with that instant. Decides a change whose
 * outcome is unknown (D1 reported an error, possibly after committing) by reading, never by
 * retrying; unlike the rotated stamp, which a later stamp request overwrites, the row stays.
 */
export async function passwordChangeCommittedAt(db: Database, tenantId: string, requestId: string): Promise<number | null> {
  const row = await db
    .select({ createdAt: auditEvents.createdAt })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        eq(auditEvents.requestId, requestId),
        inArray(auditEvents.event, ['password.change', 'password.reset'] satisfies AuditedWrite[]),
        eq(auditEvents.outcome, 'success'),
      ),
    )
    .get();
  return row?.createdAt ?? null;
}

/** Replaces a hash made with weaker parameters (and the salt it was made under), only if nothing changed it meanwhile. */
export async function upgradePasswordHash(
  db: Database,
  id: string,
  oldHash: string,
  upgraded: { passwordHash: string; passwordSalt: string },
): Promise<void> {
  await db
    .update(tenants)
    .set(upgraded)
    .where(and(eq(tenants.id, id), eq(tenants.passwordHash, oldHash)));
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
