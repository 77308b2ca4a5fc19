import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

// The one source of the D1 schema: `npm run db:generate` writes the SQL migrations from it.
// Times are Unix milliseconds.

/** A tenant (contact book entry) of a self-storage business: a lead or an end user. */
export const tenants = sqliteTable('tenants', {
  id: text('id').primaryKey(),
  userName: text('user_name').notNull().unique(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  phoneNumber: text('phone_number'),
  /** Null when the tenant has no login credentials. */
  passwordHash: text('password_hash'),
  isDisabled: integer('is_disabled', { mode: 'boolean' }).notNull().default(false),
  /** The single-use stamp a password change must present; rotated by every change. */
  concurrencyStamp: text('concurrency_stamp'),
  concurrencyStampIssuedAt: integer('concurrency_stamp_issued_at'),
  passwordChangedAt: integer('password_changed_at'),
  createdAt: integer('created_at').notNull(),
});

/** Previous password hashes, so a change can refuse recent ones. */
export const passwordHistory = sqliteTable(
  'password_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    passwordHash: text('password_hash').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [index('password_history_tenant').on(table.tenantId, table.createdAt)],
);

/** One row per password change and per failed credential check; never a secret. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tenantId: text('tenant_id'),
    event: text('event').notNull(),
    outcome: text('outcome').notNull(),
    requestId: text('request_id'),
    createdAt: integer('created_at')
      .notNull()
      .default(sql`(unixepoch() * 1000)`),
  },
  (table) => [index('audit_events_tenant').on(table.tenantId, table.createdAt)],
);

export type Tenant = typeof tenants.$inferSelect;
