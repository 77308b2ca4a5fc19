import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { MAX_CREDENTIAL_HEADER_CHARS } from '../config';
import type { AppEnv } from './context';
import type { PresentedSession } from '../auth/session-token';
import { ApiError } from '../errors';
import { handleError } from './error-handler';
import { logEvent } from '../logging';
import { tenantSessions } from '../sessions/stub';
import { hashTokenSecret, verifyToken } from '../auth/session-token';
import { tokenSignerFrom } from '../auth/token-signing';
import { tokenRefused } from '../auth/unauthorized';
import type { SessionVerdict } from '../sessions/session-store';

/**
 * The request's X-Token, its MAC checked and its secret hashed, not yet validated against storage. A
 * missing or malformed token, or one this service did not issue for the key's business, is refused
 * here, before any store is asked.
 */
async function presentedSession(c: Context<AppEnv>): Promise<PresentedSession> {
  const header = c.req.header('X-Token');
  const business = c.get('business');
  const signer = tokenSignerFrom(c.env);
  signer.requireKey();
  const verified = header && header.length <= MAX_CREDENTIAL_HEADER_CHARS ? await verifyToken(signer, business, header) : 'malformed';
  if (!header || typeof verified === 'string') {
    const reason = header && typeof verified === 'string' ? verified : 'missing';
    logEvent(c, 'warn', 'auth.session.rejected', { reason });
    throw tokenRefused(reason);
  }
  const { tenantId, sessionId, secret } = verified;
  return { tenantId, sessionId, secretHash: await hashTokenSecret(secret), business };
}

/** Asks the tenant's Durable Object; if it cannot answer, access is refused (fails closed). */
async function requireValid(c: Context<AppEnv>, presented: PresentedSession): Promise<void> {
  let verdict: SessionVerdict;
  try {
    verdict = await tenantSessions(c.env, presented.business, presented.tenantId).validateSession(presented);
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
  if (verdict !== 'valid') {
    const reason = verdict === 'absent' ? 'unknown' : verdict;
    logEvent(c, 'warn', 'auth.session.rejected', { reason, tenantId: presented.tenantId });
    throw tokenRefused(reason);
  }
}

/**
 * Requires a live X-Token session issued through a key of the request key's business. The business
 * is part of the object's name, and the session records it too.
 */
export function requireSession() {
  return createMiddleware<AppEnv>(async function sessionAuth(c, next) {
    const presented = await presentedSession(c);
    await requireValid(c, presented);
    c.set('session', { tenantId: presented.tenantId, sessionId: presented.sessionId });
    await next();
  });
}

/**
 * For a route whose workflow validates the session in the same Durable Object call as its own first
 * step (the password change, one round trip fewer): refuses a missing or malformed X-Token at once
 * and leaves the rest to the workflow, which takes the session with `takePresentedSession`. A request
 * refused before its workflow ran (a body that does not validate) has its session validated then,
 * so that it answers 401 exactly when `requireSession` would have.
 */
export function presentSession() {
  return createMiddleware<AppEnv>(async function sessionPresented(c, next) {
    const presented = await presentedSession(c);
    c.set('presentedSession', presented);
    await next();
    if (c.error && c.get('presentedSession') !== undefined) {
      try {
        await requireValid(c, presented);
      } catch (error) {
        c.res = handleError(error as ApiError, c);
      }
    }
  });
}

/** The session `presentSession` left to the route's workflow, which from now on decides its validity. */
export function takePresentedSession(c: Context<AppEnv>): PresentedSession {
  const presented = c.get('presentedSession');
  if (!presented) throw new Error('takePresentedSession needs presentSession() in the route middleware');
  c.set('presentedSession', undefined);
  return presented;
}
