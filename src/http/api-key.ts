import { createMiddleware } from 'hono/factory';
import { API_KEY_CACHE_TTL_SECONDS, MAX_CREDENTIAL_HEADER_CHARS } from '../config';
import type { AppEnv } from './context';
import { ApiError } from '../errors';
import { logEvent } from '../logging';
import { API_KEY_PATTERN, apiKeyStorageKey, businessOf, kindOf, type ApiKeyRecord } from '../auth/api-key-format';
import { keyRefused } from '../auth/unauthorized';
import { sha256Hex } from '../auth/encoding';

/**
 * Requires a known, unrevoked X-API-Key and puts its id and business on the context. A KV failure,
 * or a record naming a malformed business, fails closed.
 */
export function requireApiKey() {
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const key = c.req.header('X-API-Key');
    if (!key || key.length > MAX_CREDENTIAL_HEADER_CHARS) {
      logEvent(c, 'warn', 'auth.api_key.rejected', { reason: key ? 'too_long' : 'missing' });
      throw keyRefused(key ? 'malformed' : 'missing');
    }
    const keyHash = await sha256Hex(key);
    let record: ApiKeyRecord | null;
    try {
      record = await c.env.API_KEYS.get<ApiKeyRecord>(apiKeyStorageKey(keyHash), {
        type: 'json',
        cacheTtl: API_KEY_CACHE_TTL_SECONDS,
      });
    } catch (cause) {
      throw new ApiError('SOMETHING_WENT_WRONG', { cause });
    }
    if (!record || record.revokedAt) {
      const reason = record ? 'revoked' : API_KEY_PATTERN.test(key) ? 'unknown' : 'malformed';
      logEvent(c, 'warn', 'auth.api_key.rejected', { reason });
      throw keyRefused(reason);
    }
    const business = businessOf(record);
    if (!business) throw new ApiError('SOMETHING_WENT_WRONG', { cause: new Error(`key ${record.id} names a malformed business`) });
    c.set('apiKeyId', record.id);
    c.set('apiKeyKind', kindOf(record));
    c.set('business', business);
    await next();
  });
}

/**
 * Tenant administration: after `requireApiKey`, refuses a publishable key with 403 KEY_NOT_ALLOWED
 * before anything else is read, so a key that may sit in a tenant-facing app can never act on tenants.
 */
export function requireServerKey() {
  return createMiddleware<AppEnv>(async function serverKeyOnly(c, next) {
    if (c.get('apiKeyKind') !== 'server') {
      logEvent(c, 'warn', 'auth.api_key.not_allowed', { kind: c.get('apiKeyKind') });
      throw new ApiError('KEY_NOT_ALLOWED');
    }
    await next();
  });
}
