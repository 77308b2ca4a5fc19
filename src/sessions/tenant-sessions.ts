import { DurableObject } from 'cloudflare:workers';
import { EMPTY_OBJECT_CHECK_MS, SESSIONS_CLOSED_MEMORY_MS, settingsFrom, type Settings } from '../config';
import { loginLocked, sessionRevokedForGuessing } from '../security-events';
import { passwordChangeCommittedAt } from '../db/tenants';
import { openDatabase } from '../db/database';
import * as attempts from './attempt-counter';
import * as generation from './credential-generation';
import { CheckWaiters } from './check-waiters';
import type { LockoutSettings } from './lockout';
import * as devices from './device-store';
import * as eventOutbox from './event-outbox';
import * as logins from './login-checks';
import * as sessions from './session-store';
import * as retention from './retention';
import * as claims from './stamp-claims';
import * as closed from './closed-sessions';
import * as resetTokens from './reset-tokens';
import { migrateStorage } from './storage-schema';

type Locked = Extract<attempts.Reservation, { outcome: 'locked' }>;

/**
 * Admitted to check the password: the check's id and the counter it is charged to; `basis` is the
 * tenant facts the object judged by (those the request named, else its own), `known` those it keeps
 * (null: none). `undecided`: a request that named none found none kept, and nothing was admitted.
 */
export type LoginAdmission =
  | (({ outcome: 'admitted'; checkId: string } | Locked | { outcome: 'unknownDevice' }) &
      logins.LoginScope & { basis: logins.TenantFacts; known: logins.TenantFacts | null })
  | { outcome: 'undecided'; known: null };
/** Admitted to check a change: the check's id, and the device the session was opened from (null if none). */
export type ChangeAdmission =
  | { outcome: 'admitted'; checkId: string; deviceId: string | null }
  | Locked
  | { outcome: 'busy' }
  | { outcome: 'unauthorized'; reason: Exclude<sessions.SessionVerdict, 'valid'> };

/** How a change's check ended, and whether its write committed. */
export interface ChangeResult {
  checkId: string;
  result: attempts.CheckResult;
  stamp: string;
  committed: boolean;
  keepSessionId: string;
  /** The `password_changed_at` the change wrote (recorded only if it committed). */
  changedAt: number;
  /** D1 failed and the outcome could not be read back: the claim stays for the alarm to decide. */
  uncertain?: boolean;
}

/** Admitted to complete a password reset: the claim's id, and the generation the token was issued under. */
export type ResetAdmission = { outcome: 'admitted'; checkId: string; generation: number } | { outcome: 'invalid' };

/** How a reset's completion ended (see ChangeResult). */
export interface ResetResult {
  checkId: string;
  tokenId: string;
  committed: boolean;
  changedAt: number;
  uncertain?: boolean;
}

/** Checks in flight outlasted the wait: refused for a second, and counted nowhere. */
const STILL_IN_FLIGHT: Locked = { outcome: 'locked', retryAfterSeconds: 1, lockoutStarted: false };

const sessionScope = (sessionId: string) => `${attempts.SESSION_SCOPE_PREFIX}${sessionId}`;

/**
 * One instance per tenant of a business (`tenant:<business>:<tenant id>`) holds that tenant's
 * sessions, the failed-attempt counter of each session and the stamp claims; one per user name of a
 * business (`login:<business>:<user name>`) holds its login counters and device tokens. Each
 * instance runs one request at a time, which makes "revoke all other sessions" and "count this
 * failure" strongly consistent. The class keeps the clock, the alarm and the waiting checks; the
 * modules it delegates to keep the tables.
 */
export class TenantSessions extends DurableObject<Env> {
  private readonly settings: Settings;
  /** A session's wrong existing passwords count over its whole life: its window is the session's lifetime. */
  private readonly sessionBudget: LockoutSettings;
  private readonly waiters = new CheckWaiters();
  private readonly eventSender: eventOutbox.EventSender;
  /** False once the alarm deleted the object's storage: the next use makes the tables again. */
  private hasTables: boolean;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.settings = settingsFrom(env);
    this.sessionBudget = { ...this.settings, failedAttemptWindowMs: this.settings.sessionTtlMs };
    migrateStorage(ctx.storage);
    this.hasTables = true;
    this.eventSender = new eventOutbox.EventSender(ctx.storage.sql, env.EVENTS);
    // With storage, always an alarm: see retention.ts.
    void ctx.blockConcurrencyWhile(() => retention.keepAlarmSet(ctx.storage, Date.now()));
  }

  /** The object's tables; made again, with an alarm to check on them, if the alarm deleted them since the object was loaded. */
  private get sql(): SqlStorage {
    if (!this.hasTables) {
      migrateStorage(this.ctx.storage);
      this.hasTables = true;
      // Not awaited: the output gate holds every answer until the write is stored.
      void this.ctx.storage.setAlarm(Date.now() + EMPTY_OBJECT_CHECK_MS);
    }
    return this.ctx.storage.sql;
  }

  /**
   * Creates the session of a login that verified the password set at `verifiedPasswordChangedAt`
   * (the tenant row's `password_changed_at`, 0 when never changed). Refused (false) when a later
   * change has settled here since: see credential-generation.ts.
   */
  async createSession(session: sessions.NewSession, verifiedPasswordChangedAt: number): Promise<boolean> {
    if (!generation.isCurrent(this.ctx.storage.kv, verifiedPasswordChangedAt)) return false;
    if (closed.closedReason(this.ctx.storage.kv) !== null) return false;
    await this.wakeBy([sessions.create(this.sql, session, Date.now(), this.settings.sessionIdleMs)]);
    return true;
  }

  /** See `validate` in session-store.ts: `valid` or why not; a valid use renews the idle timer, at most once a minute. */
  async validateSession(presented: sessions.PresentedSession): Promise<sessions.SessionVerdict> {
    return sessions.validate(this.sql, presented, Date.now(), this.settings.sessionIdleMs);
  }

  async revokeSession(sessionId: string): Promise<void> {
    sessions.revoke(this.sql, sessionId);
  }

  /** Validates the session as `validateSession` does and, when valid, says when it ends (GET /v1/session). */
  async describeSession(
    presented: sessions.PresentedSession,
  ): Promise<{ verdict: 'valid'; expiresAt: number; idleExpiresAt: number } | { verdict: Exclude<sessions.SessionVerdict, 'valid'> }> {
    const verdict = sessions.validate(this.sql, presented, Date.now(), this.settings.sessionIdleMs);
    const times = verdict === 'valid' ? sessions.timesOf(this.sql, presented.sessionId, this.settings.sessionIdleMs) : null;
    return verdict === 'valid' && times ? { verdict, ...times } : { verdict: verdict === 'valid' ? 'absent' : verdict };
  }

  /** The business signed the tenant out: every session ends (`revoked`). Returns how many. */
  async revokeAllSessions(): Promise<number> {
    return sessions.revokeAll(this.sql, 'revoked');
  }

  /**
   * The business disabled the tenant: every session ends (`disabled`) and, in the same step, new
   * ones are refused, so a login that read the tenant before the disable gets none (closed-sessions.ts).
   * Idempotent. Returns how many sessions it ended.
   */
  async closeForDisable(): Promise<number> {
    const now = Date.now();
    closed.close(this.ctx.storage.kv, 'disabled', now);
    const revoked = sessions.revokeAll(this.sql, 'disabled', now);
    await this.wakeBy([now + SESSIONS_CLOSED_MEMORY_MS]);
    return revoked;
  }

  /** The business enabled the tenant again: new sessions may be opened. Sessions the disable ended stay ended. */
  async reopenAfterEnable(): Promise<void> {
    closed.reopen(this.ctx.storage.kv);
  }

  /**
   * The business unlocked the user name (this is its login object): every failed-login counter
   * (untrusted, each device's, the devices' from before a change) and so every lockout is forgotten.
   * Checks in flight keep their places and count when they finish, so no more guesses get in at
   * once than the budget allows. Those waiting judge again.
   */
  async unlockLogins(): Promise<void> {
    this.sql.exec('DELETE FROM attempts');
    this.waiters.wakeAll();
  }

  /**
   * The business deleted the tenant: everything the object holds goes (sessions, counters, device
   * tokens, claims, events not yet sent, the credential generation). A tenant's object keeps only the
   * mark that refuses new sessions, for a login still in flight, until its alarm forgets it; a login
   * object keeps nothing. Idempotent, so a delete that failed later can be repeated.
   */
  async erase(kind: 'tenant' | 'login'): Promise<void> {
    const now = Date.now();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.hasTables = false;
    this.waiters.wakeAll();
    if (kind === 'tenant') {
      closed.close(this.ctx.storage.kv, 'erased', now);
      await this.ctx.storage.setAlarm(now + SESSIONS_CLOSED_MEMORY_MS);
    }
  }

  /**
   * Admits one login check, charged to the presenting device or to the untrusted clients (see
   * login-checks.ts), or refuses it while that counter is locked out, or (`unknownDevice`) when
   * only a known device may be admitted and the client is not one. Waits while checks in flight
   * hold what is left of the budget. Judges by the tenant facts the request names or, naming none
   * (a known device asked beside the D1 read), by those it keeps, and is `undecided` without them;
   * it answers with the facts it judged by and those it keeps, for the request to compare with its row.
   */
  async beginLogin(request: logins.LoginCheckRequest): Promise<LoginAdmission> {
    const known = logins.storedFacts(this.ctx.storage.kv);
    const basis = logins.namedFacts(request) ?? known;
    if (basis === null) return { outcome: 'undecided', known: null };
    const charged = { ...logins.scopeOf(this.sql, request.device, basis, Date.now()), basis, known };
    if (request.knownDeviceOnly && !charged.knownDevice) return { outcome: 'unknownDevice', ...charged };
    const admission = await this.admit((now) => {
      const folded = charged.scope === logins.DEVICES_BEFORE_CHANGE_SCOPE ? logins.foldPreChangeDevices(this.sql, basis, now, this.settings) : [];
      const reserved = attempts.reserve(this.sql, charged.scope, now, this.settings);
      reserved.wakeBy.push(...folded);
      const { reservation } = reserved;
      // Recorded in the step that starts the lockout; an unknown user name has nobody to report.
      // A read replica may not have the tenant yet: the object may know it.
      const tenantId = basis.tenantId ?? known?.tenantId;
      if (reservation.outcome === 'locked' && reservation.lockoutStarted && tenantId) {
        const lockout = { businessId: request.business, tenantId, retryAfterSeconds: reservation.retryAfterSeconds };
        eventOutbox.record(this.sql, loginLocked({ ...lockout, at: now }), now);
      }
      return reserved;
    });
    await this.wakeBy(this.eventSender.sendSoon(this.ctx));
    return { ...admission, ...charged };
  }

  async finishLogin(outcome: logins.LoginCheckOutcome): Promise<void> {
    const now = Date.now();
    if (outcome.facts) logins.rememberFacts(this.ctx.storage.kv, outcome.facts.of, outcome.facts.fresh, now);
    await this.finished(logins.finish(this.sql, outcome, now, this.settings));
  }

  /**
   * Told by a committed password change of this user name's tenant (alongside its settle): logins
   * from then on know that a read replica's older row is stale, and charge devices by it.
   */
  async noteChange(facts: logins.TenantFacts): Promise<void> {
    logins.rememberFacts(this.ctx.storage.kv, facts, true, Date.now());
    await this.wakeBy([Date.now() + this.settings.sessionTtlMs]);
  }

  /**
   * Validates the calling session (as `validateSession`; `unauthorized` when it is not valid) and,
   * in the same call, admits one check of a password change, charged to that session. Only one
   * check per stamp and session may be in flight: the session's others are `busy`, uncounted; no
   * session's checks ever make another session's `busy`. The check that finds the
   * session's budget spent revokes the session, so a stolen session gets MAX_FAILED_ATTEMPTS
   * guesses and no more. An admitted check claims the stamp, recording whom to keep logged in, so
   * that if its request dies after committing, the alarm still revokes the other sessions.
   */
  async beginChange(presented: sessions.PresentedSession, request: Omit<claims.PendingChange, 'keepSessionId'>): Promise<ChangeAdmission> {
    const verdict = sessions.validate(this.sql, presented, Date.now(), this.settings.sessionIdleMs);
    if (verdict !== 'valid') return { outcome: 'unauthorized', reason: verdict };
    const change: claims.PendingChange = { ...request, keepSessionId: presented.sessionId };
    const scope = sessionScope(change.keepSessionId);
    const admission = await this.admit((now): { reservation: attempts.Reservation | { outcome: 'busy' }; wakeBy: number[] } => {
      if (claims.isClaimedBy(this.sql, change.stamp, change.keepSessionId, now)) return { reservation: { outcome: 'busy' }, wakeBy: [] };
      const { reservation, wakeBy } = attempts.reserve(this.sql, scope, now, this.sessionBudget);
      if (reservation.outcome === 'locked') {
        sessions.revoke(this.sql, change.keepSessionId);
        const { business: businessId, tenantId, requestId } = change;
        if (reservation.lockoutStarted) eventOutbox.record(this.sql, sessionRevokedForGuessing({ businessId, tenantId, requestId, at: now }), now);
      }
      if (reservation.outcome === 'admitted') wakeBy.push(claims.claim(this.sql, reservation.checkId, change, now));
      return { reservation, wakeBy };
    });
    await this.wakeBy(this.eventSender.sendSoon(this.ctx));
    return admission.outcome === 'admitted' ? { ...admission, deviceId: sessions.deviceOf(this.sql, change.keepSessionId) } : admission;
  }

  /**
   * Ends a change's check: settles the session's counter and releases the stamp and, if the change
   * committed, revokes every other session of the tenant, all in one step. Returns how many it revoked.
   */
  async finishChange(result: ChangeResult): Promise<number> {
    const now = Date.now();
    // The tenant was deleted while the change ran: nothing of it may be written back here.
    if (closed.closedReason(this.ctx.storage.kv) === 'erased') return 0;
    const forgetAt = attempts.settle(this.sql, sessionScope(result.keepSessionId), result.checkId, result.result, now, this.sessionBudget);
    if (!result.uncertain) claims.release(this.sql, result.checkId);
    if (result.committed) generation.recordChange(this.ctx.storage.kv, result.changedAt);
    const revoked = result.committed ? sessions.revokeOthers(this.sql, result.keepSessionId) : 0;
    await this.finished(forgetAt === null ? [] : [forgetAt]);
    return revoked;
  }

  /** Stores the tenant's new password-reset token, superseding every older one (reset-tokens.ts). */
  async issueResetToken(token: resetTokens.NewResetToken): Promise<void> {
    resetTokens.replace(this.sql, token);
    await this.wakeBy([token.expiresAt]);
  }

  /**
   * Admits one completion of the presented reset token if it is the tenant's newest, unexpired and
   * not held by another completion: the token is then held (a claim keeping no session) until
   * `finishReset`, or until the alarm settles it by D1's audit row if the request never reports back.
   */
  async beginReset(presented: resetTokens.PresentedReset & { business: string; tenantId: string; requestId: string }): Promise<ResetAdmission> {
    const now = Date.now();
    const generation = resetTokens.usableGeneration(this.sql, presented, now);
    if (generation === null) return { outcome: 'invalid' };
    const checkId = crypto.randomUUID();
    await this.wakeBy([resetTokens.hold(this.sql, checkId, presented, now)]);
    return { outcome: 'admitted', checkId, generation };
  }

  /**
   * Ends a completion: releases its hold (kept for the alarm when D1's outcome is unknown) and, if
   * it committed, consumes the token, records the new credential generation and revokes every
   * session of the tenant, in one step. Returns how many sessions it revoked.
   */
  async finishReset(result: ResetResult): Promise<number> {
    if (!result.uncertain) claims.release(this.sql, result.checkId);
    if (!result.committed) return 0;
    resetTokens.consume(this.sql, result.tokenId);
    generation.recordChange(this.ctx.storage.kv, result.changedAt);
    return sessions.revokeOthers(this.sql, resetTokens.NO_SESSION_KEPT);
  }

  /**
   * Prunes what has expired (ended sessions, forgotten counters, checks no request reported back,
   * expired device tokens and reset tokens, settled claims, events the queue took, an old credential generation),
   * then wakes again for the earliest of what is left, or deletes the object's storage if nothing is.
   */
  async alarm(): Promise<void> {
    const now = Date.now();
    const { sessionIdleMs, failedAttemptWindowMs, sessionTtlMs } = this.settings;
    const counterWindows = { windowMs: failedAttemptWindowMs, sessionWindowMs: sessionTtlMs };
    sessions.deleteEnded(this.sql, now, sessionIdleMs);
    devices.deleteExpired(this.sql, now);
    resetTokens.deleteExpired(this.sql, now);
    // D1's audit row is written in the same batch as the password, so it says whether a change committed.
    await claims.settleAbandoned(
      this.sql,
      now,
      ({ tenantId, requestId }) => passwordChangeCommittedAt(openDatabase(this.env.DB), tenantId, requestId),
      (changedAt) => generation.recordChange(this.ctx.storage.kv, changedAt),
    );
    attempts.forgetStale(this.sql, now, counterWindows);
    await this.eventSender.send();
    const due = [
      eventOutbox.nextResend(this.sql, now),
      sessions.nextEnd(this.sql, sessionIdleMs),
      devices.nextExpiry(this.sql),
      resetTokens.nextExpiry(this.sql),
      claims.nextHoldEnd(this.sql),
      attempts.nextForgettable(this.sql, counterWindows),
      attempts.nextCheckRelease(this.sql),
      generation.forgetOld(this.ctx.storage.kv, now, sessionTtlMs),
      logins.forgetFacts(this.sql, this.ctx.storage.kv, now, sessionTtlMs),
      closed.forgetOld(this.ctx.storage.kv, now),
    ].filter((at) => at !== null);
    if (await retention.scheduleOrDelete(this.ctx.storage, due, now)) this.hasTables = false;
  }

  /** Reserves a check, waiting while checks in flight hold the rest of the budget (see check-waiters.ts). */
  private async admit<R extends { outcome: string }>(
    reserve: (now: number) => { reservation: R; wakeBy: number[] },
  ): Promise<Exclude<R, { outcome: 'wait' }> | Locked> {
    const wakeBy: number[] = [];
    const answer = await this.waiters.until(() => {
      const reserved = reserve(Date.now());
      wakeBy.push(...reserved.wakeBy);
      const { reservation } = reserved;
      return reservation.outcome === 'wait' ? 'wait' : (reservation as Exclude<R, { outcome: 'wait' }>);
    }, Date.now);
    await this.wakeBy(wakeBy);
    return answer === 'timeout' ? STILL_IN_FLIGHT : answer;
  }

  /** A check ended: those waiting judge again, and the alarm is set to forget what it left. */
  private async finished(wakeBy: number[]): Promise<void> {
    this.waiters.wakeAll();
    await this.wakeBy(wakeBy);
  }

  /** Sets the alarm to the earliest of `times` unless it is already set to go off sooner. */
  private async wakeBy(times: number[]): Promise<void> {
    if (times.length === 0) return;
    const at = Math.min(...times);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }
}
