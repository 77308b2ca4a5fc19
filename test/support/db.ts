import { env } from 'cloudflare:workers';

/** A tenants row as D1 stores it. */
export interface TenantRow {
  id: string;
  business_id: string;
  user_name: string;
  password_hash: string | null;
  password_salt: string | null;
  concurrency_stamp: string | null;
  concurrency_stamp_issued_at: number | null;
  password_changed_at: number | null;
  password_changed_by_device: string | null;
  is_disabled: number;
  first_name: string;
  last_name: string;
  phone_number: string | null;
  created_at: number;
}

export async function tenantRow(id: string): Promise<TenantRow | null> {
  return env.DB.prepare('SELECT * FROM tenants WHERE id = ?').bind(id).first<TenantRow>();
}

/** How many tenants are stored under a user name, as the service would normalize it. */
export async function tenantCountFor(userName: string): Promise<number> {
  const row = await env.DB.prepare('SELECT count(*) AS n FROM tenants WHERE user_name = ?')
    .bind(userName.trim().toLowerCase())
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** How many rows of `table` belong to the tenant, optionally narrowed by a condition on the row. */
export async function rowCount(table: 'password_history' | 'audit_events', tenantId: string, where = '1'): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ? AND ${where}`)
    .bind(tenantId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Changes a stored tenant behind the service's back: the states only an operator or a migration makes. */
export const tenantState = {
  disable: (id: string) => env.DB.prepare('UPDATE tenants SET is_disabled = 1 WHERE id = ?').bind(id).run(),
  removeCredentials: (id: string) => env.DB.prepare('UPDATE tenants SET password_hash = NULL WHERE id = ?').bind(id).run(),
  delete: (id: string) => env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(id).run(),
  setPasswordHash: (id: string, hash: string) => env.DB.prepare('UPDATE tenants SET password_hash = ? WHERE id = ?').bind(hash, id).run(),
  setStampIssuedAt: (id: string, at: number) =>
    env.DB.prepare('UPDATE tenants SET concurrency_stamp_issued_at = ? WHERE id = ?').bind(at, id).run(),
};

/** Inserts a tenant row directly, as a migration from the old back end would leave it. */
export async function insertTenant(row: { id: string; userName: string; firstName: string; lastName: string; passwordHash: string | null }) {
  await env.DB.prepare('INSERT INTO tenants (id, user_name, first_name, last_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(row.id, row.userName, row.firstName, row.lastName, row.passwordHash, Date.now())
    .run();
}
