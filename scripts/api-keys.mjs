// Application keys as the operator CLI and the local benchmarks store them: only the key's SHA-256
// goes into KV, under API_KEY_PREFIX, with the record also copied into the KV metadata for listing.
import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX, API_KEY_SECRET_BYTES } from '../src/config.ts';
import { wrangler } from './wrangler.mjs';

export { API_KEY_PREFIX };

/** A fresh key and the KV entry that represents it. */
export function newApiKey(name) {
  const key = `srk_${randomBytes(API_KEY_SECRET_BYTES).toString('base64url')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const record = { id: hash.slice(0, 16), name, createdAt: new Date().toISOString(), revokedAt: null };
  return { key, storageKey: `${API_KEY_PREFIX}${hash}`, record };
}

/** Writes a key record with wrangler; `location` is e.g. ['--local'] or ['--remote']. Returns the exit status. */
export function putApiKeyRecord(storageKey, record, location) {
  const metadata = { id: record.id, name: record.name, createdAt: record.createdAt, revokedAt: record.revokedAt };
  return wrangler(
    ['kv', 'key', 'put', storageKey, JSON.stringify(record), '--metadata', JSON.stringify(metadata), '--binding', 'API_KEYS', ...location],
    { capture: true },
  ).status;
}
