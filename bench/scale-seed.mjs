// Grows a local D1 store (the SQLite file wrangler dev serves) to a given size in a few SQL
// statements, before the server starts: a million tenants in seconds, not a million HTTP calls.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const DAY_MS = 24 * 60 * 60 * 1000;
// As the service writes them: an uppercase UUID for ids, a PBKDF2 hash and a 128-bit salt in base64.
const SAMPLE_HASH = `pbkdf2-sha512$100000$${'A'.repeat(22)}==$${'B'.repeat(43)}=`;
const SAMPLE_SALT = `${'C'.repeat(22)}==`;
const uuid = (hex) =>
  `(substr(${hex},1,8)||'-'||substr(${hex},9,4)||'-4'||substr(${hex},14,3)||'-'||substr(${hex},17,4)||'-'||substr(${hex},21,12))`;

/** The SQLite file of the D1 binding in a `--persist-to` folder. */
export function d1File(state) {
  const folder = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const [file] = readdirSync(folder).filter((name) => name.endsWith('.sqlite') && name !== 'metadata.sqlite');
  return join(folder, file);
}

/**
 * Adds `tenants` tenants spread evenly over `businesses` businesses (the first being `default`,
 * the business of the bench's key), one retired hash each, and `auditRows` audit rows over the last
 * 400 days, oldest first, as the service would have written them.
 */
export function seedStore(state, { tenants, businesses, auditRows, now = Date.now() }) {
  const db = new DatabaseSync(d1File(state));
  try {
    // Inserting in key order into tables without their secondary indexes, then building each index
    // in one sort, is many times faster than a million inserts at random places in each B-tree.
    db.exec('PRAGMA cache_size = -1000000');
    const indexes = db
      .prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('tenants', 'password_history', 'audit_events')`)
      .all();
    db.exec('BEGIN');
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :tenants - 1),
       rows AS MATERIALIZED (SELECT i, upper(hex(randomblob(16))) AS h FROM n)
       INSERT INTO tenants (id, business_id, user_name, first_name, last_name, phone_number, password_hash, password_salt,
                            is_disabled, concurrency_stamp, concurrency_stamp_issued_at, password_changed_at, created_at)
       SELECT ${uuid('h')}, CASE WHEN i % :businesses = 0 THEN 'default' ELSE printf('business-%05d', i % :businesses) END,
              printf('seeded-tenant-%07d@example.com', i), 'Ada', 'Lovelace', '+15555550100', :hash, :salt,
              0, NULL, NULL, :changedAt, :createdAt
       FROM rows ORDER BY h`,
    ).run({ tenants, businesses, hash: SAMPLE_HASH, salt: SAMPLE_SALT, changedAt: now - 30 * DAY_MS, createdAt: now - 400 * DAY_MS });
    db.prepare(
      `INSERT INTO password_history (tenant_id, password_hash, created_at)
       SELECT id, :hash, :at FROM tenants WHERE user_name LIKE 'seeded-tenant-%'`,
    ).run({ hash: SAMPLE_HASH, at: now - 30 * DAY_MS });
    // Tenant rowids run 1..tenants in a fresh store; a stride spreads the rows over them.
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1),
       rows AS MATERIALIZED (SELECT i, lower(hex(randomblob(16))) AS h FROM n)
       INSERT INTO audit_events (tenant_id, event, outcome, request_id, created_at)
       SELECT t.id, CASE WHEN i % 3 = 0 THEN 'password.change' ELSE 'login' END, CASE WHEN i % 3 = 0 THEN 'success' ELSE 'failure' END,
              ${uuid('h')}, :from + i * :step
       FROM rows JOIN tenants t ON t.rowid = (i * 7919) % :tenants + 1`,
    ).run({ rows: auditRows, tenants, from: now - 400 * DAY_MS, step: Math.floor((400 * DAY_MS) / Math.max(auditRows, 1)) });
    for (const { sql } of indexes) db.exec(sql);
    db.exec('COMMIT');
    const count = (sql) => db.prepare(sql).get().n;
    return {
      tenants: count('SELECT count(*) AS n FROM tenants'),
      businesses: count('SELECT count(DISTINCT business_id) AS n FROM tenants'),
      audit_rows: count('SELECT count(*) AS n FROM audit_events'),
      history_rows: count('SELECT count(*) AS n FROM password_history'),
      bytes: rowBytes(db),
    };
  } finally {
    db.close();
  }
}

/**
 * Bytes on disk per row of each table, its indexes included: the pages SQLite's dbstat counts for
 * the table and its indexes, divided by the table's rows.
 */
export function rowBytes(db) {
  const tables = ['tenants', 'password_history', 'audit_events'];
  const pages = db.prepare(
    `SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat
     WHERE name = :table OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = :table)`,
  );
  return Object.fromEntries(
    tables.map((table) => {
      const rows = db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n;
      return [table, rows === 0 ? 0 : Math.round(pages.get({ table }).bytes / rows)];
    }),
  );
}
