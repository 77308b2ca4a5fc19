/**
 * The 401 UNAUTHORIZED answers: one code, and a message saying which header failed and why, which
 * tells a key or token holder nothing they could not know (nothing about any user). Each carries the
 * WWW-Authenticate challenge of the scheme that failed.
 */
import { ApiError, AUTH_CHALLENGES } from '../errors';

export type KeyRefusal = 'missing' | 'malformed' | 'unknown' | 'revoked';
export type TokenRefusal = 'missing' | 'malformed' | 'not_issued' | 'unknown' | 'expired' | 'idle' | 'revoked' | 'disabled';

const KEY_MESSAGES: Record<KeyRefusal, string> = {
  missing: 'X-API-Key is missing: every /v1 route needs an application key.',
  malformed: 'X-API-Key is malformed: an application key is srk_ followed by 43 characters.',
  unknown: 'X-API-Key is not a key of this service.',
  revoked: 'X-API-Key has been revoked: ask the operator for a new key.',
};

const TOKEN_MESSAGES: Record<TokenRefusal, string> = {
  missing: 'X-Token is missing: this route needs the session token POST /v1/login answered.',
  malformed: 'X-Token is malformed: send the token POST /v1/login answered, as it is.',
  unknown: 'X-Token names no session: log in again.',
  expired: 'X-Token belongs to a session that expired (SESSION_TTL_MINUTES after its login): log in again.',
  idle: 'X-Token belongs to a session that ended after sitting idle (SESSION_IDLE_MINUTES): log in again.',
  revoked:
    'X-Token belongs to a session that was revoked (a logout, a password change, too many wrong passwords, or a sign-out by the business): log in again.',
  disabled: "X-Token belongs to a session that ended because the business disabled the tenant's account.",
  not_issued:
    "X-Token was not issued for this key's business: it came through a key of another business, or it was altered. " +
    "Send it with a key of the token's business, or log in again.",
};

export const keyRefused = (reason: KeyRefusal) =>
  new ApiError('UNAUTHORIZED', { message: KEY_MESSAGES[reason], headers: { 'WWW-Authenticate': AUTH_CHALLENGES.apiKey } });

export const tokenRefused = (reason: TokenRefusal) =>
  new ApiError('UNAUTHORIZED', { message: TOKEN_MESSAGES[reason], headers: { 'WWW-Authenticate': AUTH_CHALLENGES.token } });
