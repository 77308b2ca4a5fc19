import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// The one source of the D1 schema: `npm run db:generate` writes the SQL migrations from it.
// Times are Unix milliseconds.

/** A tenant (contact book entry) of a self-storage business: a lead or an end user. */
export const tenants = sqliteTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    /** The business (key's `business`) the tenant registered with; it sees no tenant of another. */
    businessId: text('business_id').notNull().default('default'),
    userName: text('user_name').notNull(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    phoneNumber: text('phone_number'),
    /** Null when the tenant has no login credentials. */
    passwordHash: text('password_hash'),
    /**
     * The tenant's one PBKDF2 salt (base64, 128 bits): the current hash and every history entry are
     * derived under it, so a change checks the history with the derivation it makes anyway. Null for
     * a tenant imported with a foreign hash until its first change or login rehash.
     */
    passwordSalt: text('password_salt'),
    isDisabled: integer('is_disabled', { mode: 'boolean' }).notNull().default(false),
    /** The single-use stamp a password change must present; rotated by every change. */
    concurrencyStamp: text('concurrency_stamp'),
    concurrencyStampIssuedAt: integer('concurrency_stamp_issued_at'),
    passwordChangedAt: integer('password_changed_at'),
    /**
     * The device token id of the session that made the last change: that device keeps its own
     * failed-login budget, while the tokens issued before the change share one (docs/throttling.md).
     */
    passwordChangedByDevice: text('password_changed_by_device'),
    createdAt: integer('created_at').notNull(),
  },
  // User names are unique within a business: the same email may register with two businesses.
  (table) => [uniqueIndex('tenants_business_user_name').on(table.businessId, table.userName)],
);

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
  (table) => [
    index('audit_events_tenant').on(table.tenantId, table.createdAt),
    // Retention deletes the oldest rows in bounded batches: this index finds them without a scan.
    index('audit_events_created').on(table.createdAt),
  ],
);

/**
 * One webhook endpoint per business. The secret is the Standard Webhooks signing key (`whsec_…`):
 * HMAC needs the key itself, so it is stored retrievable, unlike passwords, tokens and API keys.
 * It is written only by the operator CLI, which shows it once, and never leaves the worker otherwise.
 */
export const webhookEndpoints = sqliteTable('webhook_endpoints', {
  businessId: text('business_id').primaryKey(),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  /** The secret `rotate` replaced: deliveries carry its signature too for WEBHOOK_SECRET_OVERLAP_HOURS after `rotatedAt`. */
  previousSecret: text('previous_secret'),
  rotatedAt: integer('rotated_at'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Security events owed to a business (the transactional outbox). A password change writes its row
 * in the same batch as the change; events recorded by a Durable Object get theirs at their first
 * delivery attempt. The payload holds ids and times only. `lastStatus` is an HTTP status or a
 * short error name, never a response body.
 */
export const eventOutbox = sqliteTable(
  'event_outbox',
  {
    /** Also the `webhook-id` every delivery of the event carries, so receivers can deduplicate. */
    id: text('id').primaryKey(),
    businessId: text('business_id').notNull(),
    tenantId: text('tenant_id').notNull(),
    type: text('type').notNull(),
    /** The event's `data`, as JSON. */
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    enqueuedAt: integer('enqueued_at'),
    deliveredAt: integer('delivered_at'),
    failedAt: integer('failed_at'),
    attempts: integer('attempts').notNull().default(0),
    lastStatus: text('last_status'),
  },
  (table) => [
    index('event_outbox_unsent').on(table.enqueuedAt, table.createdAt),
    index('event_outbox_failed').on(table.businessId, table.failedAt),
    index('event_outbox_delivered').on(table.deliveredAt),
    index('event_outbox_failed_at').on(table.failedAt),
  ],
);

export type Tenant = typeof tenants.$inferSelect;
