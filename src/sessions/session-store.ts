/** A tenant's login sessions, in the `sessions` table of the tenant's Durable Object. */
import { timingSafeEqualText } from '../auth/encoding';

export interface NewSession {
  sessionId: string;
  secretHash: string;
  /** The business of the key that logged in; the session answers only to keys of the same one. */
  business: string;
  expiresAt: number;
  /** The device token the login presented or was given; a change from this session keeps its budget. */
  deviceId?: string;
}

/** Renewing the idle timer on every request would write on every request; once a minute is enough. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** Stores the session; returns when it will end if it is never used. */
export function create(sql: SqlStorage, session: NewSession, now: number, idleMs: number): number {
  sql.exec(
    'INSERT INTO sessions (id, secret_hash, business, created_at, expires_at, last_used_at, device_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    session.sessionId,
    session.secretHash,
    session.business,
    now,
    session.expiresAt,
    now,
    session.deviceId ?? null,
  );
  return Math.min(session.expiresAt, now + idleMs);
}

/** A session as a request presents it: its id, the SHA-256 of its secret, and the business of the key sent with it. */
export interface PresentedSession {
  sessionId: string;
  secretHash: string;
  business: string;
}

/**
 * True when the session exists, belongs to the business of the key it came with, has neither
 * expired nor sat idle too long, and its secret hash matches (compared in constant time). A session
 * found ended is deleted. A valid use renews the idle timer; a wrong secret or business renews nothing.
 */
export function validate(sql: SqlStorage, presented: PresentedSession, now: number, idleMs: number): boolean {
  const { sessionId, secretHash } = presented;
  const row = sql
    .exec<{ secret_hash: string; business: string; expires_at: number; last_used_at: number }>(
      'SELECT secret_hash, business, expires_at, last_used_at FROM sessions WHERE id = ?',
      sessionId,
    )
    .toArray()[0];
  if (!row || row.business !== presented.business) return false;
  if (row.expires_at <= now || row.last_used_at + idleMs <= now) {
    revoke(sql, sessionId);
    return false;
  }
  if (!timingSafeEqualText(row.secret_hash, secretHash)) return false;
  if (now - row.last_used_at >= LAST_USED_WRITE_INTERVAL_MS) {
    sql.exec('UPDATE sessions SET last_used_at = ? WHERE id = ?', now, sessionId);
  }
  return true;
}

/** The device a session was opened from, or null. */
export function deviceOf(sql: SqlStorage, sessionId: string): string | null {
  return sql.exec<{ device_id: string | null }>('SELECT device_id FROM sessions WHERE id = ?', sessionId).toArray()[0]?.device_id ?? null;
}

export function revoke(sql: SqlStorage, sessionId: string): void {
  sql.exec('DELETE FROM sessions WHERE id = ?', sessionId);
}

/** Idempotent: revokes every session but the one named. Returns how many were revoked. */
export function revokeOthers(sql: SqlStorage, keepSessionId: string): number {
  return sql.exec('DELETE FROM sessions WHERE id != ?', keepSessionId).rowsWritten;
}

export function deleteEnded(sql: SqlStorage, now: number, idleMs: number): void {
  sql.exec('DELETE FROM sessions WHERE expires_at <= ? OR last_used_at + ? <= ?', now, idleMs, now);
}

/** When the next session ends unless it is used, or null when there is none. */
export function nextEnd(sql: SqlStorage, idleMs: number): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(min(expires_at, last_used_at + ?)) AS at FROM sessions', idleMs).one().at;
}
