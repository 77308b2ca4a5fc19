import { DurableObject } from 'cloudflare:workers';
import { CHANGE_CLAIM_HOLD_MS, MAX_LOCKOUT_MINUTES, settingsFrom, type Settings } from '../config';
import { timingSafeEqualText } from '../auth/encoding';
import { openDatabase, passwordChangeSucceeded } from '../tenants/repository';

export interface NewSession {
  sessionId: string;
  secretHash: string;
  expiresAt: number;
}

export type AttemptDecision =
  | { outcome: 'allowed' }
  | { outcome: 'locked'; retryAfterSeconds: number }
  | { outcome: 'busy' };

/** A password change in flight: the stamp it holds, and whom to keep logged in if it commits. */
export interface PendingChange {
  stamp: string;
  tenantId: string;
  keepSessionId: string;
  requestId: string;
}

/** Renewing the idle timer on every request would write on every request; once a minute is enough. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** Object storage outlives code: a table made by an earlier version gains new columns here. Returns true if added. */
function addColumnIfMissing(sql: SqlStorage, table: string, column: string, definition: string): boolean {
  const columns = sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray();
  if (columns.some((c) => c.name === column)) return false;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  return true;
}

interface ClaimRow extends Record<string, SqlStorageValue> {
  stamp: string;
  tenant_id: string;
  keep_session_id: string;
  request_id: string;
}

interface AttemptRow extends Record<string, SqlStorageValue> {
  failures: number;
  window_started_at: number;
  locked_until: number;
  lockouts: number;
}

/**
 * One instance per tenant (named by tenant id) holds that tenant's sessions and failed-attempt
 * counter; login throttling uses instances named by user name. Each instance runs one request at a
 * time, which makes "revoke all other sessions" and "count this failure" strongly consistent.
 */
export class TenantSessions extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly settings: Settings;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.settings = settingsFrom(env);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      secret_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL
    )`);
    if (addColumnIfMissing(this.sql, 'sessions', 'last_used_at', 'INTEGER NOT NULL DEFAULT 0')) {
      this.sql.exec('UPDATE sessions SET last_used_at = created_at');
    }
    this.sql.exec(`CREATE TABLE IF NOT EXISTS attempts (
      scope TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      window_started_at INTEGER NOT NULL,
      locked_until INTEGER NOT NULL,
      lockouts INTEGER NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS claims (
      stamp TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL,
      keep_session_id TEXT NOT NULL,
      request_id TEXT NOT NULL,
      held_until INTEGER NOT NULL
    )`);
  }

  async createSession(session: NewSession): Promise<void> {
    const now = Date.now();
    this.sql.exec(
      'INSERT INTO sessions (id, secret_hash, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?)',
      session.sessionId,
      session.secretHash,
      now,
      session.expiresAt,
      now,
    );
    await this.scheduleCleanup(Math.min(session.expiresAt, now + this.settings.sessionIdleMs));
  }

  /**
   * True when the session exists, has neither expired nor sat idle too long, and its secret hash
   * matches (compared in constant time). A valid use renews the idle timer, written at most once a
   * minute; a wrong secret renews nothing.
   */
  async validateSession(sessionId: string, secretHash: string): Promise<boolean> {
    const row = this.sql
      .exec<{ secret_hash: string; expires_at: number; last_used_at: number }>(
        'SELECT secret_hash, expires_at, last_used_at FROM sessions WHERE id = ?',
        sessionId,
      )
      .toArray()[0];
    if (!row) return false;
    const now = Date.now();
    if (row.expires_at <= now || row.last_used_at + this.settings.sessionIdleMs <= now) {
      this.sql.exec('DELETE FROM sessions WHERE id = ?', sessionId);
      return false;
    }
    if (!timingSafeEqualText(row.secret_hash, secretHash)) return false;
    if (now - row.last_used_at >= LAST_USED_WRITE_INTERVAL_MS) {
      this.sql.exec('UPDATE sessions SET last_used_at = ? WHERE id = ?', now, sessionId);
    }
    return true;
  }

  async revokeSession(sessionId: string): Promise<void> {
    this.sql.exec('DELETE FROM sessions WHERE id = ?', sessionId);
  }


  /**
   * Reserves one password check for `scope`. It is counted as a failure up front, so concurrent
   * wrong guesses cannot all slip in before any is recorded; `finishAttempt` clears it on success.
   * With a pending `change`, only one check per stamp may be in flight: the others are told `busy`,
   * without being counted, and lose the race without running PBKDF2. The claim also records whom to
   * keep logged in, so that if the request dies after committing, the alarm still revokes the rest.
   */
  async beginAttempt(scope: string, change?: PendingChange): Promise<AttemptDecision> {
    const now = Date.now();
    const row = this.sql
      .exec<AttemptRow>('SELECT failures, window_started_at, locked_until, lockouts FROM attempts WHERE scope = ?', scope)
      .toArray()[0] ?? { failures: 0, window_started_at: now, locked_until: 0, lockouts: 0 };

    if (row.locked_until > now) {
      return { outcome: 'locked', retryAfterSeconds: Math.ceil((row.locked_until - now) / 1000) };
    }
    if (change && this.isClaimed(change.stamp, now)) return { outcome: 'busy' };

    const windowExpired = now - row.window_started_at >= this.settings.failedAttemptWindowMs;
    const failures = windowExpired ? 0 : row.failures;
    const windowStartedAt = windowExpired ? now : row.window_started_at;

    if (failures >= this.settings.maxFailedAttempts) {
      // Each lockout in a row doubles the wait, up to a ceiling.
      const lockoutMs = Math.min(this.settings.lockoutMs * 2 ** row.lockouts, MAX_LOCKOUT_MINUTES * 60_000);
      this.writeAttempts(scope, 0, now, now + lockoutMs, row.lockouts + 1);
      await this.scheduleCleanup(now + lockoutMs + this.settings.failedAttemptWindowMs);
      return { outcome: 'locked', retryAfterSeconds: Math.ceil(lockoutMs / 1000) };
    }

    this.writeAttempts(scope, failures + 1, windowStartedAt, 0, row.lockouts);
    if (change) {
      this.sql.exec(
        `INSERT OR REPLACE INTO claims (stamp, tenant_id, keep_session_id, request_id, held_until)
         VALUES (?, ?, ?, ?, ?)`,
        change.stamp,
        change.tenantId,
        change.keepSessionId,
        change.requestId,
        now + CHANGE_CLAIM_HOLD_MS,
      );
      await this.scheduleCleanup(now + CHANGE_CLAIM_HOLD_MS);
    }
    await this.scheduleCleanup(windowStartedAt + this.settings.failedAttemptWindowMs);
    return { outcome: 'allowed' };
  }

  /**
   * Ends a reserved check. A verified password forgets the failures and the lockout history; a
   * committed change revokes every other session of the tenant, in the same step as releasing the stamp.
   * Returns how many sessions were revoked.
   */
  async finishAttempt(
    scope: string,
    result: { verified: boolean; stamp?: string; committed?: boolean; keepSessionId?: string },
  ): Promise<number> {
    if (result.verified) this.sql.exec('DELETE FROM attempts WHERE scope = ?', scope);
    if (result.stamp !== undefined) this.sql.exec('DELETE FROM claims WHERE stamp = ?', result.stamp);
    return result.committed && result.keepSessionId ? this.revokeOtherSessions(result.keepSessionId) : 0;
  }

  /** Idempotent: revokes every session but the one named. Returns how many were revoked. */
  private revokeOtherSessions(keepSessionId: string): number {
    return this.sql.exec('DELETE FROM sessions WHERE id != ?', keepSessionId).rowsWritten;
  }

  private isClaimed(stamp: string, now: number): boolean {
    return this.sql.exec('SELECT 1 FROM claims WHERE stamp = ? AND held_until > ?', stamp, now).toArray().length > 0;
  }

  /**
   * A claim still here after its hold means its request never reported back (it died, or could not
   * reach this object after D1 committed). D1's audit row says whether that change committed; if it
   * did, the other sessions go now. If D1 cannot answer, the claim stays for the next alarm.
   */
  private async settleAbandonedClaims(now: number): Promise<void> {
    const abandoned = this.sql
      .exec<ClaimRow>('SELECT stamp, tenant_id, keep_session_id, request_id FROM claims WHERE held_until <= ?', now)
      .toArray();
    for (const claim of abandoned) {
      try {
        const committed = await passwordChangeSucceeded(openDatabase(this.env.DB), claim.tenant_id, claim.request_id);
        if (committed) this.revokeOtherSessions(claim.keep_session_id);
        this.sql.exec('DELETE FROM claims WHERE stamp = ?', claim.stamp);
      } catch {
        this.sql.exec('UPDATE claims SET held_until = ? WHERE stamp = ?', now + CHANGE_CLAIM_HOLD_MS, claim.stamp);
      }
    }
  }

  private writeAttempts(scope: string, failures: number, windowStartedAt: number, lockedUntil: number, lockouts: number) {
    this.sql.exec(
      `INSERT OR REPLACE INTO attempts (scope, failures, window_started_at, locked_until, lockouts)
       VALUES (?, ?, ?, ?, ?)`,
      scope,
      failures,
      windowStartedAt,
      lockedUntil,
      lockouts,
    );
  }

  async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec('DELETE FROM sessions WHERE expires_at <= ? OR last_used_at + ? <= ?', now, this.settings.sessionIdleMs, now);
    await this.settleAbandonedClaims(now);
    // A counter may go once its window has passed and any lockout, plus one window to remember it, has ended.
    this.sql.exec(
      'DELETE FROM attempts WHERE window_started_at + ? <= ? AND locked_until + ? <= ?',
      this.settings.failedAttemptWindowMs,
      now,
      this.settings.failedAttemptWindowMs,
      now,
    );
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT min(min(expires_at, last_used_at + ?)) AS at FROM sessions
           UNION ALL SELECT min(held_until) FROM claims
           UNION ALL SELECT min(max(window_started_at, locked_until) + ?) FROM attempts)`,
        this.settings.sessionIdleMs,
        this.settings.failedAttemptWindowMs,
      )
      .one().at;
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, now + 1000));
  }

  private async scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
