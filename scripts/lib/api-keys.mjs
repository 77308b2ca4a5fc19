// Application keys as the operator CLI, the demo seed and the local servers store them. The format
// (prefix, length, storage key, id, record) comes from the module the worker checks keys with; only
// the key's SHA-256 goes into KV, with the record also copied into the KV metadata for listing.
import { createHash, randomBytes } from 'node:crypto';
import {
  API_KEY_SECRET_BYTES,
  API_KEY_TEXT_PREFIX,
  apiKeyStorageKey,
  newApiKeyRecord,
} from '../../src/auth/api-key-format.ts';
import { wrangler } from './wrangler.mjs';

/** A fresh key of `business` and `kind` (the defaults when not given) and the KV entry that represents it. */
export function newApiKey(name, business, kind) {
  const key = `${API_KEY_TEXT_PREFIX}${randomBytes(API_KEY_SECRET_BYTES).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  return { key, storageKey: apiKeyStorageKey(hash), record: newApiKeyRecord(hash, name, new Date(), business, kind) };
}

/** Writes a key record with wrangler; `location` is e.g. ['--local'] or ['--remote']. Returns the exit status. */
export function putApiKeyRecord(storageKey, record, location) {
  const metadata = { id: record.id, name: record.name, business: record.business, kind: record.kind, createdAt: record.createdAt, revokedAt: record.revokedAt };
  return wrangler(
    ['kv', 'key', 'put', storageKey, JSON.stringify(record), '--metadata', JSON.stringify(metadata), '--binding', 'API_KEYS', ...location],
    { capture: true },
  ).status;
}
