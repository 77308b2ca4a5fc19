import { createMiddleware } from 'hono/factory';
import { MAX_CREDENTIAL_HEADER_CHARS } from '../config';
import type { AppEnv } from '../context';
import { ApiError } from '../errors';
import { logEvent } from '../logging';
import { tenantSessions } from '../sessions/stub';
import { hashTokenSecret, parseToken } from './session-token';

/**
 * Requires a live X-Token session issued through a key of the request key's business. The business
 * is part of the object's name, and the session records it too. If the Durable Object cannot
 * answer, access is refused (fails closed).
 */
export function requireSession() {
  return createMiddleware<AppEnv>(async function sessionAuth(c, next) {
    const header = c.req.header('X-Token');
    const parsed = header && header.length <= MAX_CREDENTIAL_HEADER_CHARS ? parseToken(header) : null;
    if (!parsed) {
      logEvent(c, 'warn', 'auth.session.rejected', { reason: header ? 'malformed' : 'missing' });
      throw new ApiError('UNAUTHORIZED');
    }
    const business = c.get('business');
    let valid: boolean;
    try {
      valid = await tenantSessions(c.env, business, parsed.tenantId).validateSession({
        sessionId: parsed.sessionId,
        secretHash: await hashTokenSecret(parsed.secret),
        business,
      });
    } catch (cause) {
      throw new ApiError('SOMETHING_WENT_WRONG', { cause });
    }
    if (!valid) {
      logEvent(c, 'warn', 'auth.session.rejected', { reason: 'unknown_or_expired', tenantId: parsed.tenantId });
      throw new ApiError('UNAUTHORIZED');
    }
    c.set('session', { tenantId: parsed.tenantId, sessionId: parsed.sessionId });
    await next();
  });
}
