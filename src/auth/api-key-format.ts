// The application key's format, in the one place both its users read it: the worker's X-API-Key
// check and the operator CLI (scripts/lib/api-keys.mjs), which loads this file with Node's type
// stripping. So: no imports, and only TypeScript that Node can strip (no enums, no namespaces).

/** Lets a leaked key be recognised as ours, by a person or a secret scanner. */
export const API_KEY_TEXT_PREFIX = 'srk_';
export const API_KEY_SECRET_BYTES = 32;

/** A key as the CLI prints it: the prefix, then the 32 secret bytes as 43 base64url characters. */
export const API_KEY_PATTERN = /^srk_[A-Za-z0-9_-]{43}$/;

/** KV holds each key under this prefix and the SHA-256 (hex) of the whole key text. */
export const API_KEY_STORAGE_PREFIX = 'apikey:';

/** The public id `list` prints and `revoke` takes. */
export const API_KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** A business (one self-storage company) as keys name it: a slug, so it can sit inside object names. */
export const BUSINESS_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The business of keys created without `--business`, and of records made before keys named one. */
export const DEFAULT_BUSINESS = 'default';

/**
 * `publishable` keys may sit in a tenant-facing app, so they are public: per-client limits use the
 * caller's address. `server` keys stay on a business's servers, which may name the end user's
 * address in X-Client-Address. Records made before kinds are publishable.
 */
export const API_KEY_KINDS = ['publishable', 'server'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];
export const DEFAULT_API_KEY_KIND: ApiKeyKind = 'publishable';

/** What KV holds for each key, as its value and again as its metadata; the key itself is never stored. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Absent in records made before businesses: those belong to DEFAULT_BUSINESS. */
  business?: string;
  /** Absent in records made before kinds: those are publishable. */
  kind?: ApiKeyKind;
  createdAt: string;
  revokedAt: string | null;
}

export const apiKeyStorageKey = (keyHash: string): string => `${API_KEY_STORAGE_PREFIX}${keyHash}`;

/** A prefix of the hash, so `revoke <id>` finds the key with one KV list by prefix. */
export const apiKeyIdFromHash = (keyHash: string): string => keyHash.slice(0, 16);

export function newApiKeyRecord(
  keyHash: string,
  name: string,
  createdAt: Date,
  business = DEFAULT_BUSINESS,
  kind: ApiKeyKind = DEFAULT_API_KEY_KIND,
): ApiKeyRecord {
  return { id: apiKeyIdFromHash(keyHash), name, business, kind, createdAt: createdAt.toISOString(), revokedAt: null };
}

/** The kind of a stored record: only a record that says `server` is one; anything else is publishable. */
export function kindOf(record: Pick<ApiKeyRecord, 'kind'>): ApiKeyKind {
  return record.kind === 'server' ? 'server' : DEFAULT_API_KEY_KIND;
}

/** The business a stored record belongs to, or null when the record names one that is malformed. */
export function businessOf(record: ApiKeyRecord): string | null {
  const business = record.business ?? DEFAULT_BUSINESS;
  return BUSINESS_PATTERN.test(business) ? business : null;
}
