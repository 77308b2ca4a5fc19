import { createMiddleware } from 'hono/factory';
import { API_KEY_CACHE_TTL_SECONDS, API_KEY_PREFIX, MAX_CREDENTIAL_HEADER_CHARS } from '../config';
import type { AppEnv } from '../context';
import { ApiError } from '../errors';
import { logEvent } from '../logging';
import { sha256Hex } from './encoding';

/** What KV holds for each key, under `apikey:<sha256 of the key>`; the key itself is never stored. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

export const apiKeyStorageKey = (keyHash: string) => `${API_KEY_PREFIX}${keyHash}`;

/** The public id of a key: a prefix of its hash, so `revoke <id>` finds it with one KV list. */
export const apiKeyIdFromHash = (keyHash: string) => keyHash.slice(0, 16);

/** Requires a known, unrevoked X-API-Key. A KV failure fails closed. */
export function requireApiKey() {
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const key = c.req.header('X-API-Key');
    if (!key || key.length > MAX_CREDENTIAL_HEADER_CHARS) {
      logEvent(c, 'warn', 'auth.api_key.rejected', { reason: key ? 'too_long' : 'missing' });
      throw new ApiError('UNAUTHORIZED');
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
      logEvent(c, 'warn', 'auth.api_key.rejected', { reason: record ? 'revoked' : 'unknown' });
      throw new ApiError('UNAUTHORIZED');
    }
    c.set('apiKeyId', record.id);
    await next();
  });
}
