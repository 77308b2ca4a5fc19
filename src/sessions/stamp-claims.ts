/**
 * Stamps held by password changes in flight, in the `claims` table of the tenant's Durable Object.
 * A claim lets concurrent requests with the same stamp lose without running PBKDF2, and records
 * whom to keep logged in, so a change whose request dies after committing is still settled.
 */
import { CHANGE_CLAIM_HOLD_MS } from '../config';
import * as sessions from './session-store';

/** A password change in flight: the stamp it holds, and whom to keep logged in if it commits. */
export interface PendingChange {
  stamp: string;
  /** The tenant's business, which a session revoked for guessing is reported to. */
  business: string;
  tenantId: string;
  keepSessionId: string;
  requestId: string;
}

/** Holds the stamp for CHANGE_CLAIM_HOLD_MS; returns when the hold ends. */
export function claim(sql: SqlStorage, change: PendingChange, now: number): number {
  const heldUntil = now + CHANGE_CLAIM_HOLD_MS;
  sql.exec(
    `INSERT OR REPLACE INTO claims (stamp, tenant_id, keep_session_id, request_id, held_until)
     VALUES (?, ?, ?, ?, ?)`,
    change.stamp,
    change.tenantId,
    change.keepSessionId,
    change.requestId,
    heldUntil,
  );
  return heldUntil;
}

export function isClaimed(sql: SqlStorage, stamp: string, now: number): boolean {
  return sql.exec('SELECT 1 FROM claims WHERE stamp = ? AND held_until > ?', stamp, now).toArray().length > 0;
}

export function release(sql: SqlStorage, stamp: string): void {
  sql.exec('DELETE FROM claims WHERE stamp = ?', stamp);
}

/** When the change a claim was held for committed (its `password_changed_at`), by the record D1 keeps of it; null if it did not. */
export type CommitCheck = (claim: { tenantId: string; requestId: string }) => Promise<number | null>;

/**
 * A claim still here after its hold means its request never reported back (it died, could not
 * reach this object after D1 committed, or could not tell whether D1 committed). If `committedAt`
 * says that change committed, the other sessions go now and `settled` is told the change's instant.
 * If it cannot answer, the claim stays for the next alarm.
 */
export async function settleAbandoned(
  sql: SqlStorage,
  now: number,
  committedAt: CommitCheck,
  settled: (changedAt: number) => void,
): Promise<void> {
  const abandoned = sql
    .exec<{ stamp: string; tenant_id: string; keep_session_id: string; request_id: string }>(
      'SELECT stamp, tenant_id, keep_session_id, request_id FROM claims WHERE held_until <= ?',
      now,
    )
    .toArray();
  for (const row of abandoned) {
    try {
      const changedAt = await committedAt({ tenantId: row.tenant_id, requestId: row.request_id });
      if (changedAt !== null) {
        settled(changedAt);
        sessions.revokeOthers(sql, row.keep_session_id);
      }
      release(sql, row.stamp);
    } catch {
      sql.exec('UPDATE claims SET held_until = ? WHERE stamp = ?', now + CHANGE_CLAIM_HOLD_MS, row.stamp);
    }
  }
}

/** When the next hold ends, or null when there is none. */
export function nextHoldEnd(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(held_until) AS at FROM claims').one().at;
}
