/**
 * The tables of a TenantSessions object, as the ordered steps that built them. The object records
 * how many steps it has applied, so each runs once per object, in the same transaction as the record.
 * Objects made before the steps were counted are at version 0 with some of the tables already in
 * place, in whichever shape the code of their day made them: every step must hold on those too.
 * Append new steps; never change one that has shipped.
 */
const STEPS: readonly ((sql: SqlStorage) => void)[] = [
  function firstTables(sql) {
    sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS attempts (
      scope TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      window_started_at INTEGER NOT NULL,
      locked_until INTEGER NOT NULL,
      lockouts INTEGER NOT NULL
    )`);
    sql.exec('CREATE TABLE IF NOT EXISTS claims (claim TEXT PRIMARY KEY, held_until INTEGER NOT NULL)');
  },

  function settleableClaims(sql) {
    if (hasColumn(sql, 'claims', 'stamp')) return;
    // The first claims named no session to keep nor request to settle by; each lived 30 seconds at most.
    sql.exec('DROP TABLE claims');
    sql.exec(`CREATE TABLE claims (
      stamp TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL,
      keep_session_id TEXT NOT NULL,
      request_id TEXT NOT NULL,
      held_until INTEGER NOT NULL
    )`);
  },

  function sessionIdleTimeout(sql) {
    if (hasColumn(sql, 'sessions', 'last_used_at')) return;
    sql.exec('ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0');
    // An old session counts as last used when it was created: it ends at the idle timeout if left alone.
    sql.exec('UPDATE sessions SET last_used_at = created_at');
  },

  function sessionBusiness(sql) {
    if (hasColumn(sql, 'sessions', 'business')) return;
    // Every tenant made before businesses belongs to the default one, and so do its sessions.
    sql.exec("ALTER TABLE sessions ADD COLUMN business TEXT NOT NULL DEFAULT 'default'");
  },

  function checksInFlight(sql) {
    sql.exec(`CREATE TABLE IF NOT EXISTS checks (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL,
      held_until INTEGER NOT NULL
    )`);
  },

  function deviceTokens(sql) {
    sql.exec(`CREATE TABLE IF NOT EXISTS devices (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL
    )`);
  },

  function eventOutbox(sql) {
    // Security events recorded with their cause, kept until the EVENTS queue has taken them.
    sql.exec('CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)');
  },

  function endedSessions(sql) {
    // Why each ended session ended, for a while (session-store.ts): its holder's 401 says expired, idle or revoked.
    sql.exec(`CREATE TABLE IF NOT EXISTS ended_sessions (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      reason TEXT NOT NULL,
      forget_at INTEGER NOT NULL
    )`);
  },

  function claimsPerCheck(sql) {
    if (hasColumn(sql, 'claims', 'check_id')) return;
    // One claim per admitted check, never replaced; a claim of the old shape keeps its stamp as its id.
    sql.exec(`CREATE TABLE claims_per_check (
      check_id TEXT PRIMARY KEY,
      stamp TEXT NOT NULL,
      tenant_id TEXT NOT NULL,
      keep_session_id TEXT NOT NULL,
      request_id TEXT NOT NULL,
      held_until INTEGER NOT NULL
    )`);
    sql.exec(`INSERT INTO claims_per_check (check_id, stamp, tenant_id, keep_session_id, request_id, held_until)
      SELECT stamp, stamp, tenant_id, keep_session_id, request_id, held_until FROM claims`);
    sql.exec('DROP TABLE claims');
    sql.exec('ALTER TABLE claims_per_check RENAME TO claims');
    sql.exec('CREATE INDEX claims_stamp ON claims (stamp, keep_session_id)');
  },

  function devicesAcrossChanges(sql) {
    // Which device a session was opened from; the password a device last verified (its password_changed_at).
    if (!hasColumn(sql, 'sessions', 'device_id')) sql.exec('ALTER TABLE sessions ADD COLUMN device_id TEXT');
    if (!hasColumn(sql, 'devices', 'verified_generation')) {
      sql.exec('ALTER TABLE devices ADD COLUMN verified_generation INTEGER NOT NULL DEFAULT 0');
    }
  },

  function resetTokens(sql) {
    // The tenant's newest password-reset token (reset-tokens.ts): the hash of its secret, never the secret.
    sql.exec(`CREATE TABLE IF NOT EXISTS reset_tokens (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      generation INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
  },
];

export const STORAGE_VERSION = STEPS.length;

function hasColumn(sql: SqlStorage, table: string, column: string): boolean {
  return sql
    .exec<{ name: string }>(`PRAGMA table_info(${table})`)
    .toArray()
    .some((c) => c.name === column);
}

/**
 * How many steps the object has applied. Kept in a table of its own because Durable Objects refuse
 * `PRAGMA user_version` (SQLITE_AUTH).
 */
export function storageVersion(sql: SqlStorage): number {
  sql.exec('CREATE TABLE IF NOT EXISTS _schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)');
  return sql.exec<{ version: number }>('SELECT version FROM _schema_version').toArray()[0]?.version ?? 0;
}

/** Applies the steps this object has not applied yet. Synchronous, so it can run in the constructor. */
export function migrateStorage(storage: DurableObjectStorage): void {
  const { sql } = storage;
  for (let version = storageVersion(sql); version < STEPS.length; version++) {
    storage.transactionSync(() => {
      STEPS[version](sql);
      sql.exec('INSERT OR REPLACE INTO _schema_version (id, version) VALUES (1, ?)', version + 1);
    });
  }
}
