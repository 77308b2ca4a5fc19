import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantSessions } from './stub';
import { migrateStorage, STORAGE_VERSION, storageVersion } from './storage-schema';

type Sql = SqlStorage;

const columns = (sql: Sql, table: string) =>
  sql
    .exec<{ name: string }>(`PRAGMA table_info(${table})`)
    .toArray()
    .map((column) => column.name);

const tables = (sql: Sql) =>
  sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name")
    .toArray()
    .map((table) => table.name);

/** Puts the object's storage back to what unversioned code left: the given tables and no version. */
function rebuild(sql: Sql, statements: string[]) {
  for (const table of [...tables(sql), '_schema_version']) sql.exec(`DROP TABLE IF EXISTS ${table}`);
  for (const statement of statements) sql.exec(statement);
}

const FIRST_ATTEMPTS = `CREATE TABLE attempts (scope TEXT PRIMARY KEY, failures INTEGER NOT NULL,
  window_started_at INTEGER NOT NULL, locked_until INTEGER NOT NULL, lockouts INTEGER NOT NULL)`;
const FIRST_SESSIONS = `CREATE TABLE sessions (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`;
const SETTLEABLE_CLAIMS = `CREATE TABLE claims (stamp TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,
  keep_session_id TEXT NOT NULL, request_id TEXT NOT NULL, held_until INTEGER NOT NULL)`;

const TODAY = {
  attempts: ['scope', 'failures', 'window_started_at', 'locked_until', 'lockouts'],
  checks: ['id', 'scope', 'held_until'],
  claims: ['check_id', 'stamp', 'tenant_id', 'keep_session_id', 'request_id', 'held_until'],
  devices: ['id', 'secret_hash', 'tenant_id', 'expires_at', 'last_used_at', 'verified_generation'],
  ended_sessions: ['id', 'secret_hash', 'reason', 'forget_at'],
  events: ['id', 'body', 'created_at'],
  reset_tokens: ['id', 'secret_hash', 'generation', 'expires_at'],
  sessions: ['id', 'secret_hash', 'created_at', 'expires_at', 'last_used_at', 'business', 'device_id'],
};

/** Runs `check` in a Durable Object of its own, so no test sees another's tables. */
function inFreshObject<T>(check: (storage: DurableObjectStorage) => T): Promise<T> {
  return runInDurableObject(tenantSessions(env, 'default', crypto.randomUUID()), (_instance, state) => check(state.storage));
}

describe('the TenantSessions storage schema', () => {
  it("should build today's tables in a new object and record the version", async () => {
    await inFreshObject(({ sql }) => {
      expect(tables(sql)).toEqual(Object.keys(TODAY));
      for (const [table, expected] of Object.entries(TODAY)) expect(columns(sql, table)).toEqual(expected);
      expect(storageVersion(sql)).toBe(STORAGE_VERSION);
    });
  });

  it('should upgrade an object made before the idle timeout, keeping its rows', async () => {
    await inFreshObject((storage) => {
      const { sql } = storage;
      rebuild(sql, [FIRST_SESSIONS, FIRST_ATTEMPTS, SETTLEABLE_CLAIMS]);
      sql.exec("INSERT INTO sessions VALUES ('s1', 'hash', 1000, 9000)");
      sql.exec("INSERT INTO attempts VALUES ('login', 2, 500, 0, 1)");
      sql.exec("INSERT INTO claims VALUES ('STAMP', 'T', 's1', 'r1', 7000)");

      migrateStorage(storage);

      expect(columns(sql, 'sessions')).toEqual(TODAY.sessions);
      expect(sql.exec('SELECT * FROM sessions').toArray()).toEqual([
        { id: 's1', secret_hash: 'hash', created_at: 1000, expires_at: 9000, last_used_at: 1000, business: 'default', device_id: null },
      ]);
      expect(sql.exec('SELECT count(*) AS n FROM attempts').one().n).toBe(1);
      // A claim of the old shape stays, for the alarm to settle, under its stamp as its id.
      expect(sql.exec('SELECT check_id, stamp, keep_session_id, held_until FROM claims').toArray()).toEqual([
        { check_id: 'STAMP', stamp: 'STAMP', keep_session_id: 's1', held_until: 7000 },
      ]);
      expect(storageVersion(sql)).toBe(STORAGE_VERSION);
    });
  });

  it('should replace the first, unsettleable claims table of the scaffold', async () => {
    await inFreshObject((storage) => {
      const { sql } = storage;
      rebuild(sql, [FIRST_SESSIONS, FIRST_ATTEMPTS, 'CREATE TABLE claims (claim TEXT PRIMARY KEY, held_until INTEGER NOT NULL)']);
      sql.exec("INSERT INTO claims VALUES ('old', 7000)");

      migrateStorage(storage);

      expect(columns(sql, 'claims')).toEqual(TODAY.claims);
      expect(columns(sql, 'sessions')).toEqual(TODAY.sessions);
    });
  });

  it('should keep the data of an unversioned object made before businesses, giving its sessions the default business', async () => {
    await inFreshObject((storage) => {
      const { sql } = storage;
      rebuild(sql, [
        `CREATE TABLE sessions (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, created_at INTEGER NOT NULL,
           expires_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL)`,
        FIRST_ATTEMPTS,
        SETTLEABLE_CLAIMS,
      ]);
      sql.exec("INSERT INTO sessions VALUES ('s1', 'hash', 1000, 9000, 5000)");

      migrateStorage(storage);

      expect(sql.exec('SELECT last_used_at, business FROM sessions').one()).toEqual({ last_used_at: 5000, business: 'default' });
      expect(tables(sql)).toEqual(Object.keys(TODAY));
      expect(storageVersion(sql)).toBe(STORAGE_VERSION);
    });
  });

  it('should apply no step twice', async () => {
    await inFreshObject((storage) => {
      const { sql } = storage;
      // Were the first step run again, it would bring this table back.
      sql.exec('DROP TABLE attempts');

      migrateStorage(storage);

      expect(tables(sql)).toEqual(['checks', 'claims', 'devices', 'ended_sessions', 'events', 'reset_tokens', 'sessions']);
      expect(storageVersion(sql)).toBe(STORAGE_VERSION);
    });
  });
});
