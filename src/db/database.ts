import { and, eq, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { tenants } from './schema';

export type Database = ReturnType<typeof openDatabase>;

export function openDatabase(d1: D1Database) {
  return drizzle(d1);
}

/** The tenant of the business that `condition` picks: a business never reads another's tenants. */
export const tenantOfBusiness = (businessId: string, condition: SQL) => and(eq(tenants.businessId, businessId), condition);
