import type { z } from '@hono/zod-openapi';
import { LOGIN_SCOPE, reserveAttempt } from '../auth/attempts';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { issueToken } from '../auth/session-token';
import type { Tenant } from '../db/schema';
import { ApiError } from '../errors';
import type { LoginBody, LoginResult } from '../schemas';
import type { Deps } from './deps';
import { findTenantByUserName, recordAuditEvent, upgradePasswordHash } from './repository';

type LoginDeps = Pick<Deps, 'db' | 'sessionsOf' | 'loginThrottleOf' | 'settings' | 'pepper' | 'requestId' | 'log'>;

/**
 * Checks the credentials under the user name's failed-login budget and opens a session. Unknown
 * users, disabled ones and wrong passwords get the same answer after the same work.
 */
export async function logIn(deps: LoginDeps, credentials: z.output<typeof LoginBody>): Promise<z.output<typeof LoginResult>> {
  const throttle = deps.loginThrottleOf(credentials.userName);
  await reserveAttempt(throttle, LOGIN_SCOPE);
  const tenant = await verifyCredentials(deps, credentials);
  await throttle.finishAttempt(LOGIN_SCOPE, { verified: true });
  await upgradeWeakHash(deps, tenant, credentials.password);
  const { token, expiresAt } = await openSession(deps, tenant.id);
  return {
    token,
    expiresAt: new Date(expiresAt).toISOString(),
    authContactBookInfo: {
      id: tenant.id,
      firstName: tenant.firstName,
      lastName: tenant.lastName,
      email: tenant.userName,
      phoneNumber: tenant.phoneNumber,
    },
  };
}

/** The tenant whose password this is, or INVALID_CREDENTIALS after an audit row. */
async function verifyCredentials(
  deps: LoginDeps,
  { userName, password }: z.output<typeof LoginBody>,
): Promise<Tenant & { passwordHash: string }> {
  const tenant = await findTenantByUserName(deps.db, userName);
  const storedHash = tenant?.passwordHash && !tenant.isDisabled ? tenant.passwordHash : null;
  // Unknown users cost the same derivation as real ones, so timing does not reveal who exists.
  const matches = await verifyPassword(password, storedHash ?? DUMMY_PASSWORD_HASH, deps.pepper);
  if (tenant && storedHash && matches) return { ...tenant, passwordHash: storedHash };
  // The failure was counted when the attempt was reserved; nothing to tell the counter.
  await recordAuditEvent(deps.db, {
    tenantId: tenant?.id ?? null,
    event: 'login',
    outcome: 'invalid_credentials',
    requestId: deps.requestId,
    now: Date.now(),
  });
  deps.log('warn', 'auth.login.failed', { tenantId: tenant?.id ?? null });
  throw new ApiError('INVALID_CREDENTIALS');
}

/** Replaces a hash made with older parameters, now that the password is known to be right. */
async function upgradeWeakHash(deps: LoginDeps, tenant: Tenant & { passwordHash: string }, password: string) {
  if (!needsRehash(tenant.passwordHash, deps.pepper)) return;
  await upgradePasswordHash(deps.db, tenant.id, tenant.passwordHash, await hashPassword(password, deps.pepper));
  deps.log('info', 'auth.password_hash_upgraded', { tenantId: tenant.id });
}

async function openSession(deps: LoginDeps, tenantId: string): Promise<{ token: string; expiresAt: number }> {
  const issued = await issueToken(tenantId);
  const expiresAt = Date.now() + deps.settings.sessionTtlMs;
  await deps.sessionsOf(tenantId).createSession({ sessionId: issued.sessionId, secretHash: issued.secretHash, expiresAt });
  deps.log('info', 'auth.login.succeeded', { tenantId, sessionId: issued.sessionId });
  return { token: issued.token, expiresAt };
}
