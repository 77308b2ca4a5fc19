import {
  PBKDF2_HASH,
  PBKDF2_ITERATIONS,
  PBKDF2_KEY_BYTES,
  PBKDF2_MAX_ITERATIONS,
  PBKDF2_MIN_ACCEPTED_ITERATIONS,
  PBKDF2_SALT_BYTES,
} from '../config';
import { fromBase64, randomBytes, toBase64 } from './encoding';

/**
 * Stored forms:
 * - `pbkdf2-sha512$<iterations>$<salt base64>$<key base64>`: this service's own.
 * - `pbkdf2-sha512-peppered$…`: the same, with the password first run through HMAC-SHA-256 keyed by
 *   the PASSWORD_PEPPER secret, so a stolen database alone cannot be attacked offline.
 * - ASP.NET Core Identity V3 (base64 of 0x01 | PRF | iterations | salt length | salt | key), as
 *   imported from .NET back ends; verified as is and replaced at the next successful login or change.
 * The scheme and its parameters travel with every hash so they can change without a migration.
 */
const SCHEME = 'pbkdf2-sha512';
const PEPPERED_SCHEME = 'pbkdf2-sha512-peppered';

export class MalformedPasswordHashError extends Error {
  constructor(reason: string) {
    super(`stored password hash rejected: ${reason}`);
    this.name = 'MalformedPasswordHashError';
  }
}

/** A hash needs the pepper and none is configured: fail closed, never answer "wrong password". */
export class PepperMissingError extends Error {
  constructor() {
    super('stored password hash needs PASSWORD_PEPPER, which is not configured');
    this.name = 'PepperMissingError';
  }
}

/** NFKC, as NIST SP 800-63B suggests, applied identically wherever a password enters. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

type PrfHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

export interface ParsedHash {
  format: 'native' | 'aspnet-v3';
  peppered: boolean;
  hash: PrfHash;
  iterations: number;
  salt: Uint8Array;
  key: Uint8Array;
}

async function derive(secret: Uint8Array, parsed: Omit<ParsedHash, 'format' | 'peppered' | 'key'>, keyBytes: number) {
  const material = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: parsed.hash, salt: parsed.salt, iterations: parsed.iterations },
    material,
    keyBytes * 8,
  );
  return new Uint8Array(bits);
}

async function applyPepper(password: Uint8Array, pepper: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pepper), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, password));
}

/** The bytes PBKDF2 receives for one of this service's hashes. */
async function nativeSecret(password: string, peppered: boolean, pepper: string | undefined): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(normalizePassword(password));
  if (!peppered) return bytes;
  if (!pepper) throw new PepperMissingError();
  return applyPepper(bytes, pepper);
}

/** A fresh 128-bit salt, base64: one per tenant, shared by its current hash and its history. */
export function newPasswordSalt(): string {
  return toBase64(randomBytes(PBKDF2_SALT_BYTES));
}

/**
 * Hashes with today's parameters under `salt` (the tenant's; a fresh one when not given); with a
 * pepper configured, the hash is peppered.
 */
export async function hashPassword(password: string, pepper?: string, salt = newPasswordSalt()): Promise<string> {
  const peppered = Boolean(pepper);
  const saltBytes = fromBase64(salt);
  if (!saltBytes || saltBytes.byteLength !== PBKDF2_SALT_BYTES) throw new MalformedPasswordHashError('bad tenant salt');
  const key = await derive(
    await nativeSecret(password, peppered, pepper),
    { hash: PBKDF2_HASH, iterations: PBKDF2_ITERATIONS, salt: saltBytes },
    PBKDF2_KEY_BYTES,
  );
  return `${peppered ? PEPPERED_SCHEME : SCHEME}$${PBKDF2_ITERATIONS}$${salt}$${toBase64(key)}`;
}

function checkRanges(parsed: ParsedHash): ParsedHash {
  const { iterations, salt, key } = parsed;
  // Above the ceiling Cloudflare production refuses to derive at all; below the floor the hash is not worth trusting.
  if (!(iterations >= PBKDF2_MIN_ACCEPTED_ITERATIONS && iterations <= PBKDF2_MAX_ITERATIONS)) {
    throw new MalformedPasswordHashError('iterations out of range');
  }
  if (salt.byteLength < 8 || salt.byteLength > 64) throw new MalformedPasswordHashError('bad salt');
  if (key.byteLength < 16 || key.byteLength > 64) throw new MalformedPasswordHashError('bad key');
  return parsed;
}

function parseNative(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 4) throw new MalformedPasswordHashError('wrong number of fields');
  const iterations = /^\d{1,7}$/.test(parts[1]) ? Number(parts[1]) : NaN;
  const salt = fromBase64(parts[2]);
  const key = fromBase64(parts[3]);
  if (!salt || !key) throw new MalformedPasswordHashError('bad base64');
  return checkRanges({ format: 'native', peppered: parts[0] === PEPPERED_SCHEME, hash: PBKDF2_HASH, iterations, salt, key });
}

const ASPNET_PRFS: Record<number, PrfHash> = { 0: 'SHA-1', 1: 'SHA-256', 2: 'SHA-512' };

function parseAspNetV3(stored: string): ParsedHash {
  const bytes = fromBase64(stored);
  if (!bytes || bytes.byteLength < 13 || bytes[0] !== 0x01) throw new MalformedPasswordHashError('unknown scheme');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hash = ASPNET_PRFS[view.getUint32(1)];
  const iterations = view.getUint32(5);
  const saltLength = view.getUint32(9);
  if (!hash) throw new MalformedPasswordHashError('unknown PRF');
  if (saltLength > bytes.byteLength - 13) throw new MalformedPasswordHashError('bad salt length');
  const salt = bytes.slice(13, 13 + saltLength);
  const key = bytes.slice(13 + saltLength);
  return checkRanges({ format: 'aspnet-v3', peppered: false, hash, iterations, salt, key });
}

/** The scheme and parameters a stored hash carries; throws MalformedPasswordHashError, before any derivation. */
export function parseHash(stored: string): ParsedHash {
  const scheme = stored.slice(0, stored.indexOf('$'));
  if (scheme === SCHEME || scheme === PEPPERED_SCHEME) return parseNative(stored);
  return parseAspNetV3(stored);
}

/**
 * Verifies with the parameters stored in the hash. A malformed hash or a missing pepper throws
 * rather than answer "wrong", after bounded work (no derivation at all).
 */
export async function verifyPassword(password: string, stored: string, pepper?: string): Promise<boolean> {
  const parsed = parseHash(stored);
  // .NET hashed the raw UTF-8 of the password; this service hashes its NFKC form.
  const secret =
    parsed.format === 'aspnet-v3'
      ? new TextEncoder().encode(password)
      : await nativeSecret(password, parsed.peppered, pepper);
  const candidate = await derive(secret, parsed, parsed.key.byteLength);
  return crypto.subtle.timingSafeEqual(candidate, parsed.key);
}

/** True when a stored hash is not in today's format and parameters and should be replaced. */
export function needsRehash(stored: string, pepper?: string): boolean {
  const parsed = parseHash(stored);
  return (
    parsed.format !== 'native' ||
    parsed.iterations < PBKDF2_ITERATIONS ||
    parsed.key.byteLength !== PBKDF2_KEY_BYTES ||
    parsed.peppered !== Boolean(pepper)
  );
}

/** Fixed hash verified for unknown users so their login costs the same derivation as a real one. */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$${'A'.repeat(43)}=`;
