/** The retired password hashes of each tenant, newest first, kept to the PASSWORD_HISTORY depth. */
import { and, desc, eq, notInArray } from 'drizzle-orm';
import { passwordHistory, tenants, type Tenant } from '../db/schema';
import { selectTenantOf, type Database } from './repository';

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

const selectRecent = (db: Database, tenantId: string, count: number) =>
  db
    .select({ passwordHash: passwordHistory.passwordHash })
    .from(passwordHistory)
    .where(eq(passwordHistory.tenantId, tenantId))
    .orderBy(...newestFirst)
    .limit(count);

/**
 * The tenant of the business, and its `count` newest retired hashes, in one D1 batch: everything a
 * password change reads, for one round trip to the primary.
 */
export async function tenantWithHistory(
  db: Database,
  businessId: string,
  tenantId: string,
  count: number,
): Promise<{ tenant: Tenant | undefined; history: string[] }> {
  const [found, recent] = await db.batch([
    selectTenantOf(db, businessId, eq(tenants.id, tenantId)).limit(1),
    selectRecent(db, tenantId, count),
  ]);
  return { tenant: found[0], history: recent.map((row) => row.passwordHash) };
}
