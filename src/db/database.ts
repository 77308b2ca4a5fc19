import { and, eq, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { tenants } from './schema';

export type Database = ReturnType<typeof openDatabase>;

export function openDatabase(d1: D1Database) {
  return drizzle(d1);
}

/**
 * D1 at the copy nearest the worker, a read replica or the primary (D1's Sessions API): it may be
 * behind the primary, so it serves only reads whose use the primary confirms.
 */
export function openNearestCopy(d1: D1Database): Database {
  // Drizzle's D1 driver calls only prepare() and batch(), which a session has too.
  return drizzle(d1.withSession('first-unconstrained') as unknown as D1Database);
}

/** The tenant of the business that `condition` picks: a business never reads another's tenants. */
export const tenantOfBusiness = (businessId: string, condition: SQL) => and(eq(tenants.businessId, businessId), condition);
