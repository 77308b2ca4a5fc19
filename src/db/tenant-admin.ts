/** The D1 writes of tenant administration (a business's server key): disable, enable, delete. */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { EventMessage } from '../security-events';
import { tenantOfBusiness, type Database } from './database';
import { insertEventIf } from './outbox';
import { auditEvents, eventOutbox, passwordHistory, tenants } from './schema';

const theTenant = (businessId: string, tenantId: string) => tenantOfBusiness(businessId, eq(tenants.id, tenantId));

/** Whether the tenant exists in the business, and whether this call recorded the event (only a real change does). */
export interface AdminWrite {
  found: boolean;
  eventRecorded: boolean;
}

/**
 * One batch: the `tenant.disabled` event's outbox row, inserted only if the tenant is enabled (the
 * statements of a batch see one state, so this is "only if the UPDATE below changes it"), then the
 * UPDATE. Disabling a disabled tenant writes nothing new and records no second event.
 */
export async function disableTenant(db: Database, businessId: string, tenantId: string, event: EventMessage): Promise<AdminWrite> {
  const [recorded, updated] = await db.batch([
    insertEventIf(db, event, and(theTenant(businessId, tenantId), eq(tenants.isDisabled, false))),
    db.update(tenants).set({ isDisabled: true }).where(theTenant(businessId, tenantId)).returning({ id: tenants.id }),
  ]);
  return { found: updated.length === 1, eventRecorded: recorded.length === 1 };
}

/** Enables the tenant; returns whether it exists in the business. Idempotent. */
export async function enableTenant(db: Database, businessId: string, tenantId: string): Promise<boolean> {
  const updated = await db.update(tenants).set({ isDisabled: false }).where(theTenant(businessId, tenantId)).returning({ id: tenants.id });
  return updated.length === 1;
}

/**
 * One batch (one transaction): the tenant's outbox rows, then the `tenant.deleted` event's row and
 * an audit row of the deletion (both only if the tenant is there), then its password history and
 * its row. Audit rows hold no personal data (a tenant id, what happened, a request id, a time) and
 * stay. Nothing is written if the tenant is not in the business.
 */
export async function deleteTenant(
  db: Database,
  businessId: string,
  tenantId: string,
  erasure: { event: EventMessage; requestId: string; now: number },
): Promise<AdminWrite> {
  const ofTheTenant = db.select({ id: tenants.id }).from(tenants).where(theTenant(businessId, tenantId));
  const [, recorded, , , deleted] = await db.batch([
    db.delete(eventOutbox).where(and(eq(eventOutbox.businessId, businessId), eq(eventOutbox.tenantId, tenantId))),
    insertEventIf(db, erasure.event, theTenant(businessId, tenantId)),
    db.insert(auditEvents).select(
      db
        .select({
          id: sql<number>`null`.as('id'),
          tenantId: tenants.id,
          event: sql<string>`'tenant.delete'`.as('event'),
          outcome: sql<string>`'success'`.as('outcome'),
          requestId: sql<string>`${erasure.requestId}`.as('request_id'),
          createdAt: sql<number>`${erasure.now}`.as('created_at'),
        })
        .from(tenants)
        .where(theTenant(businessId, tenantId)),
    ),
    db.delete(passwordHistory).where(inArray(passwordHistory.tenantId, ofTheTenant)),
    db.delete(tenants).where(theTenant(businessId, tenantId)).returning({ id: tenants.id }),
  ]);
  return { found: deleted.length === 1, eventRecorded: recorded.length === 1 };
}
