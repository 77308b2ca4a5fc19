import { sql } from 'drizzle-orm';
import type { Database } from './database';
import { tenants } from './schema';

/** A tenant an import creates: the registration's fields and a hash made elsewhere (no salt of this service yet). */
export interface ImportedTenant {
  id: string;
  userName: string;
  firstName: string;
  lastName: string;
  phoneNumber: string | null;
  passwordHash: string;
}

const column = (name: keyof typeof tenants._.columns) => sql.identifier(tenants[name].name);

/**
 * Inserts every tenant whose user name `businessId` does not have yet, in ONE statement whatever their
 * number: the rows travel as a single bound JSON array, expanded by `json_each`, so the statement
 * binds 3 parameters (D1 allows 100) and the call is one round trip and one transaction: all of it
 * or, on a failure, none. Returns the ids inserted; a tenant missing from them met a taken user name.
 * The JSON stays under D1's 2 MB per value because the route's body is at most MAX_IMPORT_BODY_BYTES.
 */
export async function insertImportedTenants(db: Database, businessId: string, rows: ImportedTenant[], now: number): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const json = JSON.stringify(rows.map((row) => [row.id, row.userName, row.firstName, row.lastName, row.phoneNumber, row.passwordHash]));
  // `where true` keeps SQLite from reading `on conflict` as a join's constraint (its documented parsing ambiguity).
  const inserted = await db.all<{ id: string }>(sql`
    insert into ${tenants} (${column('id')}, ${column('businessId')}, ${column('userName')}, ${column('firstName')},
      ${column('lastName')}, ${column('phoneNumber')}, ${column('passwordHash')}, ${column('createdAt')})
    select value ->> 0, ${businessId}, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ${now}
    from json_each(${json}) where true
    on conflict (${column('businessId')}, ${column('userName')}) do nothing
    returning ${column('id')}`);
  return new Set(inserted.map((row) => row.id));
}
