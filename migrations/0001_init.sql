-- Tenants, their password history and the audit trail. Times are Unix milliseconds.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY NOT NULL,
  user_name TEXT NOT NULL,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  phone_number TEXT,
  password_hash TEXT,
  is_disabled INTEGER DEFAULT 0 NOT NULL,
  concurrency_stamp TEXT,
  concurrency_stamp_issued_at INTEGER,
  password_changed_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tenants_user_name_unique ON tenants (user_name);

CREATE TABLE password_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX password_history_tenant ON password_history (tenant_id, created_at);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  tenant_id TEXT,
  event TEXT NOT NULL,
  outcome TEXT NOT NULL,
  request_id TEXT,
  created_at INTEGER DEFAULT (unixepoch() * 1000) NOT NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, created_at);
