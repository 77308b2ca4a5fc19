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
 * Stored form: `pbkdf2-sha512$<iterations>$<salt base64>$<key base64>`.
 * The scheme and its parameters travel with every hash so they can change without a migration.
 */
const SCHEME = 'pbkdf2-sha512';

export class MalformedPasswordHashError extends Error {
  constructor(reason: string) {
    super(`stored password hash rejected: ${reason}`);
    this.name = 'MalformedPasswordHashError';
  }
}

/** NFKC, as NIST SP 800-63B suggests, applied identically wherever a password enters. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

async function derive(password: string, salt: Uint8Array, iterations: number, keyBytes: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: PBKDF2_HASH, salt, iterations },
    material,
    keyBytes * 8,
  );
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(PBKDF2_SALT_BYTES);
  const key = await derive(normalizePassword(password), salt, PBKDF2_ITERATIONS, PBKDF2_KEY_BYTES);
  return `${SCHEME}$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(key)}`;
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array;
  key: Uint8Array;
}

function parseHash(stored: string): ParsedHash {
  const parts = stored.split('$');
  if (parts.length !== 4 || parts[0] !== SCHEME) throw new MalformedPasswordHashError('unknown scheme');
  const iterations = /^\d{1,7}$/.test(parts[1]) ? Number(parts[1]) : NaN;
  if (!(iterations >= PBKDF2_MIN_ACCEPTED_ITERATIONS && iterations <= PBKDF2_MAX_ITERATIONS)) {
    throw new MalformedPasswordHashError('iterations out of range');
  }
  const salt = fromBase64(parts[2]);
  const key = fromBase64(parts[3]);
  if (!salt || salt.byteLength < 8 || salt.byteLength > 64) throw new MalformedPasswordHashError('bad salt');
  if (!key || key.byteLength < 16 || key.byteLength > 64) throw new MalformedPasswordHashError('bad key');
  return { iterations, salt, key };
}

/** Verifies with the parameters stored in the hash. Throws MalformedPasswordHashError rather than answer "wrong". */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { iterations, salt, key } = parseHash(stored);
  const candidate = await derive(normalizePassword(password), salt, iterations, key.byteLength);
  return crypto.subtle.timingSafeEqual(candidate, key);
}

/** True when a stored hash was made with weaker parameters than today's and should be replaced. */
export function needsRehash(stored: string): boolean {
  const { iterations, key } = parseHash(stored);
  return iterations < PBKDF2_ITERATIONS || key.byteLength !== PBKDF2_KEY_BYTES;
}

/** Fixed hash verified for unknown users so their login costs the same derivation as a real one. */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${PBKDF2_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA==$${'A'.repeat(43)}=`;
