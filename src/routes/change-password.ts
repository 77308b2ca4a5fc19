import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireApiKey } from '../auth/api-key';
import { CHANGE_PASSWORD_SCOPE, reserveAttempt } from '../auth/attempts';
import { timingSafeEqualText } from '../auth/encoding';
import { hashPassword, verifyPassword } from '../auth/password';
import { isRecentPassword } from '../auth/password-history';
import { findPasswordPolicyViolation } from '../auth/password-policy';
import { requireSession } from '../auth/session';
import { PASSWORD_HISTORY_SIZE, pepperFrom, settingsFrom } from '../config';
import type { AppEnv } from '../context';
import type { Tenant } from '../db/schema';
import { ApiError, describe, successEnvelope } from '../errors';
import { logEvent } from '../logging';
import {
  BODY_REJECTIONS,
  EXAMPLE_STAMP,
  EXAMPLE_TENANT_ID,
  ChangePasswordBody,
  ConcurrencyStamp,
  envelopeOf,
  errorResponses,
  jsonContent,
  TenantId,
} from '../schemas';
import { tenantSessions } from '../sessions/stub';
import type { TenantSessions } from '../sessions/tenant-sessions';
import {
  commitPasswordChange,
  findTenantById,
  openDatabase,
  passwordChangeCommitted,
  recentPasswordHashes,
  recordAuditEvent,
  storeConcurrencyStamp,
  type Database,
  type PasswordChange,
} from '../tenants/repository';
import { jsonBody, throwOnInvalid } from '../validate';

const API_KEY_AND_SESSION = [{ ApiKey: [], Token: [] }];

/** The tenant behind the session, if it can take a password change at all. */
async function loadChangeableTenant(db: Database, tenantId: string): Promise<Tenant & { passwordHash: string }> {
  const tenant = await findTenantById(db, tenantId);
  if (!tenant) throw new ApiError('NO_RECORDS_FOUND');
  if (!tenant.passwordHash || tenant.isDisabled) throw new ApiError('INVALID_CONTACT_BOOK_DETAILS_INFO');
  return { ...tenant, passwordHash: tenant.passwordHash };
}

/**
 * Reports the outcome to the tenant's Durable Object, which releases the stamp and, after a commit,
 * revokes every other session. The password is committed by then, so a failure here must not turn
 * success into an error: the object's alarm settles the change from D1 within CHANGE_CLAIM_HOLD_MS,
 * and while the object is unreachable no session of the tenant validates anyway.
 */
async function settleAttempt(
  c: Context<AppEnv>,
  sessions: DurableObjectStub<TenantSessions>,
  result: { verified: boolean; stamp: string; committed: boolean; keepSessionId: string },
): Promise<void> {
  try {
    const revoked = await sessions.finishAttempt(CHANGE_PASSWORD_SCOPE, result);
    if (result.committed) logEvent(c, 'info', 'sessions.revoked_others', { revoked });
  } catch (cause) {
    logEvent(c, 'error', 'password.change.settle_failed', { committed: result.committed, cause: describe(cause) });
  }
}

/** The stamp must be the tenant's current one and unexpired; compared in constant time. */
function requireCurrentStamp(tenant: Tenant, stamp: string, stampsIssuedAfter: number): void {
  const current =
    tenant.concurrencyStamp !== null &&
    timingSafeEqualText(tenant.concurrencyStamp, stamp) &&
    (tenant.concurrencyStampIssuedAt ?? 0) > stampsIssuedAfter;
  if (!current) throw new ApiError('CHANGE_PASSWORD_FAILED');
}

/** Records the failed check in the audit trail, then refuses. */
async function rejectMismatch(c: Context<AppEnv>, db: Database, tenantId: string, now: number): Promise<never> {
  const requestId = c.get('requestId');
  await recordAuditEvent(db, { tenantId, event: 'password.change', outcome: 'mismatch_existing_password', requestId, now });
  logEvent(c, 'warn', 'password.change.mismatch', { tenantId });
  throw new ApiError('MISMATCH_EXISTING_PASSWORD', { field: 'existingPassword' });
}

/**
 * Runs the conditional batch. If D1 reports an error, the write may still have committed: the
 * outcome is decided by reading the row back, never by retrying, and never reported as success
 * unless the read shows the commit.
 */
async function commitOrReadBack(c: Context<AppEnv>, db: Database, change: PasswordChange): Promise<boolean> {
  try {
    return await commitPasswordChange(db, change);
  } catch (cause) {
    logEvent(c, 'error', 'password.change.commit_uncertain', { tenantId: change.tenantId, cause: describe(cause) });
    if (await passwordChangeCommitted(db, change.tenantId, change.rotatedStamp).catch(() => false)) return true;
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

const requestStamp = createRoute({
  method: 'get',
  path: '/v1/tenant/profile/change-password/request',
  tags: ['Password change'],
  summary: 'Issue a concurrency stamp for a password change',
  description:
    'Returns a fresh single-use stamp (an upper-case GUID). Issuing one supersedes every earlier stamp; ' +
    'a stamp expires after STAMP_TTL_MINUTES (default 10).',
  security: API_KEY_AND_SESSION,
  middleware: [requireApiKey(), requireSession()] as const,
  responses: {
    200: jsonContent(envelopeOf(ConcurrencyStamp, 'ConcurrencyStampResponse', EXAMPLE_STAMP), 'A fresh stamp.'),
    ...errorResponses([
      'UNAUTHORIZED',
      'NO_RECORDS_FOUND',
      'INVALID_CONTACT_BOOK_DETAILS_INFO',
      'CONCURRENCY_STAMP_CREATE_FAILED',
      'SOMETHING_WENT_WRONG',
    ]),
  },
});

const changePassword = createRoute({
  method: 'put',
  path: '/v1/tenant/profile/change-password',
  tags: ['Password change'],
  summary: 'Change the password of the logged-in tenant',
  description:
    'Replaces the password if existingPassword matches and concurrencyStamp is the current stamp. ' +
    'The stamp is consumed; every other session of the tenant is revoked and the calling one stays valid. ' +
    'Of concurrent requests holding the same stamp, at most one succeeds.',
  security: API_KEY_AND_SESSION,
  middleware: [requireApiKey(), requireSession(), jsonBody()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: ChangePasswordBody } } } },
  responses: {
    200: jsonContent(envelopeOf(TenantId, 'ChangePasswordResponse', EXAMPLE_TENANT_ID), 'Changed; data is the tenant id.'),
    ...errorResponses([
      'INVALID_PARAM_EXISTING_PASSWORD',
      'INVALID_PARAM_NEW_PASSWORD',
      'INVALID_PARAM_CONCURRENCY_STAMP',
      'MISMATCH_EXISTING_PASSWORD',
      'FAILED',
      'UNAUTHORIZED',
      'NO_RECORDS_FOUND',
      'INVALID_CONTACT_BOOK_DETAILS_INFO',
      'CHANGE_PASSWORD_FAILED',
      'TOO_MANY_ATTEMPTS',
      'SOMETHING_WENT_WRONG',
    ]),
    ...BODY_REJECTIONS,
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const changePasswordRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(requestStamp, async (c) => {
    const { tenantId } = c.get('session');
    const db = openDatabase(c.env.DB);
    await loadChangeableTenant(db, tenantId);
    const stamp = crypto.randomUUID().toUpperCase();
    let stored: boolean;
    try {
      stored = await storeConcurrencyStamp(db, tenantId, stamp, Date.now());
    } catch (cause) {
      throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED', { cause });
    }
    if (!stored) throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED');
    logEvent(c, 'info', 'password.stamp_issued', { tenantId });
    return c.json(successEnvelope(stamp), 200);
  })

  .openapi(changePassword, async (c) => {
    const { existingPassword, newPassword, concurrencyStamp } = c.req.valid('json');
    const session = c.get('session');
    const settings = settingsFrom(c.env);
    const pepper = pepperFrom(c.env);
    const requestId = c.get('requestId');
    const db = openDatabase(c.env.DB);
    const now = Date.now();
    const stamp = concurrencyStamp.toUpperCase();
    const stampsIssuedAfter = now - settings.stampTtlMs;

    // Cheap rejections first: none of these runs PBKDF2.
    const tenant = await loadChangeableTenant(db, session.tenantId);
    requireCurrentStamp(tenant, stamp, stampsIssuedAfter);
    const violation = findPasswordPolicyViolation(newPassword, settings.passwordMinLength, {
      userName: tenant.userName,
      firstName: tenant.firstName,
      lastName: tenant.lastName,
      existingPassword,
    });
    if (violation) {
      throw new ApiError('INVALID_PARAM_NEW_PASSWORD', { message: `newPassword ${violation}`, field: 'newPassword' });
    }

    const sessions = tenantSessions(c.env, tenant.id);
    await reserveAttempt(sessions, CHANGE_PASSWORD_SCOPE, {
      stamp,
      tenantId: tenant.id,
      keepSessionId: session.sessionId,
      requestId,
    });
    let verified = false;
    let committed = false;
    try {
      // Read alongside the derivation, so the history costs no extra round trip.
      const history = recentPasswordHashes(db, tenant.id, PASSWORD_HISTORY_SIZE - 1);
      history.catch(() => {});
      verified = await verifyPassword(existingPassword, tenant.passwordHash, pepper);
      if (!verified) await rejectMismatch(c, db, tenant.id, now);
      if (await isRecentPassword(newPassword, await history, pepper)) {
        throw new ApiError('INVALID_PARAM_NEW_PASSWORD', {
          message: `newPassword must not be one of your last ${PASSWORD_HISTORY_SIZE} passwords`,
          field: 'newPassword',
        });
      }
      committed = await commitOrReadBack(c, db, {
        tenantId: tenant.id,
        presentedStamp: stamp,
        stampsIssuedAfter,
        previousHash: tenant.passwordHash,
        newHash: await hashPassword(newPassword, pepper),
        rotatedStamp: crypto.randomUUID().toUpperCase(),
        now,
        requestId,
      });
      if (!committed) throw new ApiError('CHANGE_PASSWORD_FAILED');
      logEvent(c, 'info', 'password.change.succeeded', { tenantId: tenant.id });
    } finally {
      await settleAttempt(c, sessions, { verified, stamp, committed, keepSessionId: session.sessionId });
    }
    return c.json(successEnvelope(tenant.id), 200);
  });
