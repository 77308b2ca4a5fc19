/**
 * The tenant's password-reset token, in the `reset_tokens` table of its Durable Object: at most one
 * row, since issuing a token supersedes every older one. Only the SHA-256 of its secret is kept,
 * with the credential generation (`password_changed_at`, 0 when never changed) it was issued under.
 * D1 is what makes the token single use: the reset's write requires that generation and moves it, so
 * a replay, a second concurrent completion or a completion after any other change matches nothing,
 * whatever this object managed to record. A completion in flight holds a claim (stamp-claims.ts)
 * that keeps no session: if its request dies after D1 committed, the alarm revokes every session.
 */
import { timingSafeEqualText } from '../auth/encoding';
import * as claims from './stamp-claims';

export interface NewResetToken {
  id: string;
  secretHash: string;
  /** The tenant's `password_changed_at` when the token was issued (0: never changed). */
  generation: number;
  expiresAt: number;
}

export interface PresentedReset {
  tokenId: string;
  secretHash: string;
}

/** The claim a completion holds: named after the token, keeping no session when it settles. */
export const claimStampOf = (tokenId: string) => `reset:${tokenId}`;
export const NO_SESSION_KEPT = '';

/** Stores the tenant's new token in place of any older one. */
export function replace(sql: SqlStorage, token: NewResetToken): void {
  sql.exec('DELETE FROM reset_tokens');
  sql.exec(
    'INSERT INTO reset_tokens (id, secret_hash, generation, expires_at) VALUES (?, ?, ?, ?)',
    token.id,
    token.secretHash,
    token.generation,
    token.expiresAt,
  );
}

/**
 * The generation the token was issued under when it is the tenant's newest, unexpired and not held
 * by a completion in flight; null otherwise (one answer for every reason, compared in constant time).
 */
export function usableGeneration(sql: SqlStorage, presented: PresentedReset, now: number): number | null {
  const row = sql
    .exec<{ secret_hash: string; generation: number; expires_at: number }>(
      'SELECT secret_hash, generation, expires_at FROM reset_tokens WHERE id = ?',
      presented.tokenId,
    )
    .toArray()[0];
  if (!row || !timingSafeEqualText(row.secret_hash, presented.secretHash) || row.expires_at <= now) return null;
  const held = sql
    .exec('SELECT 1 FROM claims WHERE stamp = ? AND held_until > ?', claimStampOf(presented.tokenId), now)
    .toArray().length > 0;
  return held ? null : row.generation;
}

/** A completion committed: the token is gone (D1 already refuses it; this only saves the next one the work). */
export function consume(sql: SqlStorage, tokenId: string): void {
  sql.exec('DELETE FROM reset_tokens WHERE id = ?', tokenId);
}

export function deleteExpired(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM reset_tokens WHERE expires_at <= ?', now);
}

/** When the token expires, or null when there is none. */
export function nextExpiry(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(expires_at) AS at FROM reset_tokens').one().at;
}

/** Holds the token for the completion `checkId`; returns when the hold ends. */
export function hold(sql: SqlStorage, checkId: string, completion: { tokenId: string; business: string; tenantId: string; requestId: string }, now: number): number {
  const { tokenId, ...rest } = completion;
  return claims.claim(sql, checkId, { ...rest, stamp: claimStampOf(tokenId), keepSessionId: NO_SESSION_KEPT }, now);
}
