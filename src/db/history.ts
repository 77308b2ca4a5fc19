/** The retired password hashes of each tenant, newest first, kept to the PASSWORD_HISTORY depth. */
import { and, desc, eq, getTableColumns, notInArray, sql, type SQL } from 'drizzle-orm';
import { tenantOfBusiness, type Database } from './database';
import { passwordHistory, tenants, type Tenant } from './schema';

const newestFirst = [desc(passwordHistory.createdAt), desc(passwordHistory.id)];

/** Deletes all but the newest `kept` retired hashes of the tenant. */
export function pruneHistory(db: Database, tenantId: string, kept: number) {
  const newest = db
    .select({ id: passwordHistory.id })
    .from(passwordHistory)
    .where(eq(passwordHistory.tenantId, tenantId))
    .orderBy(...newestFirst)
    .limit(kept);
  return db.delete(passwordHistory).where(and(eq(passwordHistory.tenantId, tenantId), notInArray(passwordHistory.id, newest)));
}

const selectRecent = (db: Database, tenantId: SQL | string, count: number) =>
  db
    .select({ passwordHash: passwordHistory.passwordHash })
    .from(passwordHistory)
    .where(eq(passwordHistory.tenantId, tenantId))
    .orderBy(...newestFirst)
    .limit(count);

/**
 * The tenant of the business, and its `count` newest retired hashes: everything a password change
 * reads, in one statement (a second statement, even in the same batch, costs D1 more than the
 * subquery does).
 */
export async function tenantWithHistory(
  db: Database,
  businessId: string,
  tenantId: string,
  count: number,
): Promise<{ tenant: Tenant | undefined; history: string[] }> {
  const recent = selectRecent(db, sql`${tenants.id}`, count);
  const found = await db
    .select({ ...getTableColumns(tenants), history: sql<string>`(select json_group_array(${sql.identifier('password_hash')}) from (${recent}))` })
    .from(tenants)
    .where(tenantOfBusiness(businessId, eq(tenants.id, tenantId)))
    .get();
  if (!found) return { tenant: undefined, history: [] };
  const { history, ...tenant } = found;
  return { tenant, history: JSON.parse(history) as string[] };
}
