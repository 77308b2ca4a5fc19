import { DurableObject } from 'cloudflare:workers';
import { settingsFrom, type Settings } from '../config';
import { openDatabase, passwordChangeSucceeded } from '../tenants/repository';
import * as attempts from './attempt-counter';
import * as sessions from './session-store';
import * as claims from './stamp-claims';
import { migrateStorage } from './storage-schema';

/**
 * One instance per tenant (named by tenant id) holds that tenant's sessions, failed-attempt counter
 * and stamp claims; login throttling uses instances named by user name. Each instance runs one
 * request at a time, which makes "revoke all other sessions" and "count this failure" strongly
 * consistent. The class keeps the clock and the alarm; the modules it delegates to keep the tables.
 */
export class TenantSessions extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly settings: Settings;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.settings = settingsFrom(env);
    migrateStorage(ctx.storage);
  }

  async createSession(session: sessions.NewSession): Promise<void> {
    await this.wakeBy(sessions.create(this.sql, session, Date.now(), this.settings.sessionIdleMs));
  }

  /** See `validate` in session-store.ts: a valid use renews the idle timer, at most once a minute. */
  async validateSession(sessionId: string, secretHash: string): Promise<boolean> {
    return sessions.validate(this.sql, sessionId, secretHash, Date.now(), this.settings.sessionIdleMs);
  }

  async revokeSession(sessionId: string): Promise<void> {
    sessions.revoke(this.sql, sessionId);
  }

  /**
   * Reserves one password check for `scope`, counted as a failure until `finishAttempt` says
   * otherwise. A `change` also claims its stamp, recording whom to keep logged in, so that if the
   * request dies after committing, the alarm still revokes the other sessions.
   */
  async beginAttempt(scope: string, change?: claims.PendingChange): Promise<attempts.AttemptDecision> {
    const { decision, wakeBy } = attempts.begin(this.sql, scope, Date.now(), this.settings, change);
    for (const at of wakeBy) await this.wakeBy(at);
    return decision;
  }

  /** Ends a reserved check; returns how many other sessions a committed change revoked. */
  async finishAttempt(scope: string, result: attempts.AttemptResult): Promise<number> {
    return attempts.finish(this.sql, scope, result);
  }

  async alarm(): Promise<void> {
    const now = Date.now();
    const { sessionIdleMs, failedAttemptWindowMs } = this.settings;
    sessions.deleteEnded(this.sql, now, sessionIdleMs);
    // D1's audit row is written in the same batch as the password, so it says whether a change committed.
    await claims.settleAbandoned(this.sql, now, ({ tenantId, requestId }) =>
      passwordChangeSucceeded(openDatabase(this.env.DB), tenantId, requestId),
    );
    attempts.forgetStale(this.sql, now, failedAttemptWindowMs);
    const due = [
      sessions.nextEnd(this.sql, sessionIdleMs),
      claims.nextHoldEnd(this.sql),
      attempts.nextForgettable(this.sql, failedAttemptWindowMs),
    ].filter((at) => at !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.max(Math.min(...due), now + 1000));
  }

  /** Sets the alarm to `at` unless it is already set to go off sooner. */
  private async wakeBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
