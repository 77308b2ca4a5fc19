/**
 * Stamps held by password changes in flight, in the `claims` table of the tenant's Durable Object,
 * one row per admitted check. A claim lets a session's concurrent requests with the same stamp lose
 * without running PBKDF2, and records whom to keep logged in, so a change whose request dies after
 * committing is still settled. A claim binds only its own session: what one session sends never
 * holds a stamp against another (D1's conditional update picks one winner among those that verify),
 * and no claim is ever overwritten, so an uncertain change's claim stays until the alarm settles it.
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

/** Holds the stamp for the check `checkId`, CHANGE_CLAIM_HOLD_MS; returns when the hold ends. */
export function claim(sql: SqlStorage, checkId: string, change: PendingChange, now: number): number {
  const heldUntil = now + CHANGE_CLAIM_HOLD_MS;
  sql.exec(
    `INSERT INTO claims (check_id, stamp, tenant_id, keep_session_id, request_id, held_until)
     VALUES (?, ?, ?, ?, ?, ?)`,
    checkId,
    change.stamp,
    change.tenantId,
    change.keepSessionId,
    change.requestId,
    heldUntil,
  );
  return heldUntil;
}

/** Whether the session already has a check of this stamp in flight. */
export function isClaimedBy(sql: SqlStorage, stamp: string, sessionId: string, now: number): boolean {
  return sql.exec('SELECT 1 FROM claims WHERE stamp = ? AND keep_session_id = ? AND held_until > ?', stamp, sessionId, now).toArray().length > 0;
}

export function release(sql: SqlStorage, checkId: string): void {
  sql.exec('DELETE FROM claims WHERE check_id = ?', checkId);
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
    .exec<{ check_id: string; tenant_id: string; keep_session_id: string; request_id: string }>(
      'SELECT check_id, tenant_id, keep_session_id, request_id FROM claims WHERE held_until <= ?',
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
      release(sql, row.check_id);
    } catch {
      sql.exec('UPDATE claims SET held_until = ? WHERE check_id = ?', now + CHANGE_CLAIM_HOLD_MS, row.check_id);
    }
  }
}

/** When the next hold ends, or null when there is none. */
export function nextHoldEnd(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(held_until) AS at FROM claims').one().at;
}
