import {
  PBKDF2_HASH,
  PBKDF2_ITERATIONS,
  PBKDF2_KEY_BYTES,
  PBKDF2_MAX_ITERATIONS,
  PBKDF2_MIN_ACCEPTED_ITERATIONS,
  PBKDF2_SALT_BYTES,
  type Peppers,
} from '../config';
import { fromBase64, randomBytes, toBase64, toHex } from './encoding';

/**
 * Stored forms:
 * - `pbkdf2-sha512$<iterations>$<salt base64>$<key base64>`: this service's own.
 * - `pbkdf2-sha512-peppered.<pepper id>$…`: the same, with the password first run through HMAC-SHA-256
 *   keyed by the PASSWORD_PEPPER secret, so a stolen database alone cannot be attacked offline. The id
 *   names the pepper (see `pepperId`), so that a rotation can tell which one a hash needs. Hashes made
 *   before ids were recorded are `pbkdf2-sha512-peppered$…`.
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

/**
 * A hash was made with a pepper that is configured neither as PASSWORD_PEPPER nor as
 * PASSWORD_PEPPER_PREVIOUS: an operator error (a rotation without the previous pepper, or a lost
 * one), never "wrong password". The message names pepper ids only, never a pepper.
 */
export class PepperMismatchError extends Error {
  constructor(needed: string, current: string | undefined, previous: string | undefined) {
    super(
      `stored hash needs pepper ${needed}; PASSWORD_PEPPER is ${current ?? 'unset'}, PASSWORD_PEPPER_PREVIOUS ${previous ?? 'unset'}: ` +
        'set the old pepper as PASSWORD_PEPPER_PREVIOUS',
    );
    this.name = 'PepperMismatchError';
  }
}

const pepperIds = new Map<string, Promise<string>>();

/**
 * A pepper's id, recorded in the hashes made with it: the first 4 bytes of HMAC-SHA-256 keyed by the
 * pepper over a fixed label, in hex. It tells peppers apart and, for a pepper of 32 random characters
 * (deploy refuses shorter ones), reveals nothing about it.
 */
export function pepperId(pepper: string): Promise<string> {
  let id = pepperIds.get(pepper);
  if (!id) {
    id = hmacSha256(pepper, new TextEncoder().encode('storegister pepper id')).then((mac) => toHex(mac.slice(0, 4)));
    pepperIds.set(pepper, id);
  }
  return id;
}

/** NFKC, as NIST SP 800-63B suggests, applied identically wherever a password enters. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

type PrfHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

export interface ParsedHash {
  format: 'native' | 'aspnet-v3';
  peppered: boolean;
  /** The id of the pepper a peppered hash was made with; null when it predates pepper ids. */
  pepperId: string | null;
  hash: PrfHash;
  iterations: number;
  salt: Uint8Array;
  key: Uint8Array;
}

async function derive(secret: Uint8Array, parsed: Pick<ParsedHash, 'hash' | 'salt' | 'iterations'>, keyBytes: number) {
  const material = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: parsed.hash, salt: parsed.salt, iterations: parsed.iterations },
    material,
    keyBytes * 8,
  );
  return new Uint8Array(bits);
}

async function hmacSha256(keyText: string, data: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(keyText), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

/**
 * The pepper a stored hash was made with, among those configured. A hash from before pepper ids
 * dates from before any rotation this code could do: it was made with the pepper that is now the
 * previous one during a rotation, else with the current one.
 */
async function pepperFor(parsed: ParsedHash, peppers: Peppers): Promise<string> {
  const { current, previous } = peppers;
  if (!current && !previous) throw new PepperMissingError();
  if (parsed.pepperId === null) return (previous ?? current)!;
  const [currentId, previousId] = await Promise.all([current && pepperId(current), previous && pepperId(previous)]);
  if (current && parsed.pepperId === currentId) return current;
  if (previous && parsed.pepperId === previousId) return previous;
  throw new PepperMismatchError(parsed.pepperId, currentId || undefined, previousId || undefined);
}

/** The bytes PBKDF2 receives for a password under this service's scheme, with the pepper if one applies. */
async function nativeSecret(password: string, pepper: string | undefined): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(normalizePassword(password));
  return pepper ? hmacSha256(pepper, bytes) : bytes;
}

/** A fresh 128-bit salt, base64: one per tenant, shared by its current hash and its history. */
export function newPasswordSalt(): string {
  return toBase64(randomBytes(PBKDF2_SALT_BYTES));
}

/**
 * Hashes with today's parameters under `salt` (the tenant's; a fresh one when not given); with a
 * pepper configured, the hash is peppered with the current one and records its id.
 */
export async function hashPassword(password: string, peppers: Peppers = {}, salt = newPasswordSalt()): Promise<string> {
  const pepper = peppers.current;
  const saltBytes = fromBase64(salt);
  if (!saltBytes || saltBytes.byteLength !== PBKDF2_SALT_BYTES) throw new MalformedPasswordHashError('bad tenant salt');
  const key = await derive(
    await nativeSecret(password, pepper),
    { hash: PBKDF2_HASH, iterations: PBKDF2_ITERATIONS, salt: saltBytes },
    PBKDF2_KEY_BYTES,
  );
  const scheme = pepper ? `${PEPPERED_SCHEME}.${await pepperId(pepper)}` : SCHEME;
  return `${scheme}$${PBKDF2_ITERATIONS}$${salt}$${toBase64(key)}`;
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
  const [scheme, pepperId = null] = parts[0].split('.');
  if (pepperId !== null && !/^[0-9a-f]{8}$/.test(pepperId)) throw new MalformedPasswordHashError('bad pepper id');
  const iterations = /^\d{1,7}$/.test(parts[1]) ? Number(parts[1]) : NaN;
  const salt = fromBase64(parts[2]);
  const key = fromBase64(parts[3]);
  if (!salt || !key) throw new MalformedPasswordHashError('bad base64');
  const peppered = scheme === PEPPERED_SCHEME;
  return checkRanges({ format: 'native', peppered, pepperId, hash: PBKDF2_HASH, iterations, salt, key });
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
  return checkRanges({ format: 'aspnet-v3', peppered: false, pepperId: null, hash, iterations, salt, key });
}

/** The scheme and parameters a stored hash carries; throws MalformedPasswordHashError, before any derivation. */
export function parseHash(stored: string): ParsedHash {
  const scheme = stored.slice(0, stored.indexOf('$')).split('.')[0];
  if (scheme === SCHEME || scheme === PEPPERED_SCHEME) return parseNative(stored);
  return parseAspNetV3(stored);
}

/**
 * Verifies with the parameters stored in the hash, and the pepper it records among `peppers`. A
 * malformed hash, or a pepper that is missing or not configured, throws rather than answer "wrong",
 * after bounded work (no derivation at all).
 */
export async function verifyPassword(password: string, stored: string, peppers: Peppers = {}): Promise<boolean> {
  const parsed = parseHash(stored);
  // .NET hashed the raw UTF-8 of the password; this service hashes its NFKC form.
  const secret =
    parsed.format === 'aspnet-v3'
      ? new TextEncoder().encode(password)
      : await nativeSecret(password, parsed.peppered ? await pepperFor(parsed, peppers) : undefined);
  const candidate = await derive(secret, parsed, parsed.key.byteLength);
  return crypto.subtle.timingSafeEqual(candidate, parsed.key);
}

/**
 * True when a stored hash is not in today's format and parameters, or not peppered with the current
 * pepper (none before a pepper is configured, the previous one during a rotation), and should be replaced.
 */
export async function needsRehash(stored: string, peppers: Peppers = {}): Promise<boolean> {
  const parsed = parseHash(stored);
  const currentId = peppers.current ? await pepperId(peppers.current) : null;
  return (
    parsed.format !== 'native' ||
    parsed.iterations < PBKDF2_ITERATIONS ||
    parsed.key.byteLength !== PBKDF2_KEY_BYTES ||
    parsed.peppered !== Boolean(currentId) ||
    parsed.pepperId !== currentId
  );
}

/** Fixed hash verified for unknown users so their login costs the same derivation as a real one. */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$${'A'.repeat(43)}=`;
