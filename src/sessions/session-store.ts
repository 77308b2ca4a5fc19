/** A tenant's login sessions, in the `sessions` table of the tenant's Durable Object. */
import { ENDED_SESSION_MEMORY_MS } from '../config';
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

/** Why a session no longer answers: kept (with its secret's hash) for ENDED_SESSION_MEMORY_MS, to tell its holder. */
export type EndReason = 'expired' | 'idle' | 'revoked' | 'disabled';

/**
 * What validation says of a presented session: valid, or why not. `unknown`: this object holds the
 * session id, but the secret is wrong; `absent`: it has no record of it at all (a token of another
 * business reaches an object of the key's business, which never saw it).
 */
export type SessionVerdict = 'valid' | 'absent' | 'unknown' | EndReason;

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

/** Why an ended session ended, if its holder presents the right secret. */
function endedVerdict(sql: SqlStorage, presented: PresentedSession): SessionVerdict {
  const row = sql
    .exec<{ secret_hash: string; reason: EndReason }>('SELECT secret_hash, reason FROM ended_sessions WHERE id = ?', presented.sessionId)
    .toArray()[0];
  if (!row) return 'absent';
  return timingSafeEqualText(row.secret_hash, presented.secretHash) ? row.reason : 'unknown';
}

/**
 * `valid` when the session exists, belongs to the business of the key it came with, has neither
 * expired nor sat idle too long, and its secret hash matches (compared in constant time); else why
 * not, told only to a holder of the right secret. A session found ended is ended here. A valid use
 * renews the idle timer; a wrong secret or business renews nothing.
 */
export function validate(sql: SqlStorage, presented: PresentedSession, now: number, idleMs: number): SessionVerdict {
  const { sessionId, secretHash } = presented;
  const row = sql
    .exec<{ secret_hash: string; business: string; expires_at: number; last_used_at: number }>(
      'SELECT secret_hash, business, expires_at, last_used_at FROM sessions WHERE id = ?',
      sessionId,
    )
    .toArray()[0];
  if (!row) return endedVerdict(sql, presented);
  if (row.business !== presented.business || !timingSafeEqualText(row.secret_hash, secretHash)) return 'unknown';
  if (row.expires_at <= now || row.last_used_at + idleMs <= now) {
    const reason = row.expires_at <= now ? 'expired' : 'idle';
    end(sql, 'id = ?', [sessionId], reason, now);
    return reason;
  }
  if (now - row.last_used_at >= LAST_USED_WRITE_INTERVAL_MS) {
    sql.exec('UPDATE sessions SET last_used_at = ? WHERE id = ?', now, sessionId);
  }
  return 'valid';
}

/** The device a session was opened from, or null. */
export function deviceOf(sql: SqlStorage, sessionId: string): string | null {
  return sql.exec<{ device_id: string | null }>('SELECT device_id FROM sessions WHERE id = ?', sessionId).toArray()[0]?.device_id ?? null;
}

/** Ends the sessions `where` selects, remembering why; returns how many it ended. */
function end(sql: SqlStorage, where: string, params: unknown[], reason: EndReason, now: number): number {
  sql.exec(
    `INSERT OR REPLACE INTO ended_sessions (id, secret_hash, reason, forget_at) SELECT id, secret_hash, ?, ? FROM sessions WHERE ${where}`,
    reason,
    now + ENDED_SESSION_MEMORY_MS,
    ...params,
  );
  return sql.exec(`DELETE FROM sessions WHERE ${where}`, ...params).rowsWritten;
}

export function revoke(sql: SqlStorage, sessionId: string, now = Date.now()): void {
  end(sql, 'id = ?', [sessionId], 'revoked', now);
}

/** Idempotent: revokes every session but the one named. Returns how many were revoked. */
export function revokeOthers(sql: SqlStorage, keepSessionId: string, now = Date.now()): number {
  return end(sql, 'id != ?', [keepSessionId], 'revoked', now);
}

/** Ends every session of the tenant (a sign-out or a disable by the business); returns how many it ended. */
export function revokeAll(sql: SqlStorage, reason: 'revoked' | 'disabled', now = Date.now()): number {
  return end(sql, '1 = 1', [], reason, now);
}

/** When a live session ends: at `expiresAt`, or `idleMs` after its last recorded use, whichever is earlier. */
export function timesOf(sql: SqlStorage, sessionId: string, idleMs: number): { expiresAt: number; idleExpiresAt: number } | null {
  const row = sql
    .exec<{ expires_at: number; last_used_at: number }>('SELECT expires_at, last_used_at FROM sessions WHERE id = ?', sessionId)
    .toArray()[0];
  return row ? { expiresAt: row.expires_at, idleExpiresAt: row.last_used_at + idleMs } : null;
}

/** Ends the sessions past their lifetime or idle timeout, and forgets the ends remembered long enough. */
export function deleteEnded(sql: SqlStorage, now: number, idleMs: number): void {
  end(sql, 'expires_at <= ?', [now], 'expired', now);
  end(sql, 'last_used_at + ? <= ?', [idleMs, now], 'idle', now);
  sql.exec('DELETE FROM ended_sessions WHERE forget_at <= ?', now);
}

/** When the next session ends unless it is used, or a remembered end is forgotten; null when neither. */
export function nextEnd(sql: SqlStorage, idleMs: number): number | null {
  const live = sql.exec<{ at: number | null }>('SELECT min(min(expires_at, last_used_at + ?)) AS at FROM sessions', idleMs).one().at;
  const ended = sql.exec<{ at: number | null }>('SELECT min(forget_at) AS at FROM ended_sessions').one().at;
  const times = [live, ended].filter((at) => at !== null);
  return times.length > 0 ? Math.min(...times) : null;
}
