import type { Peppers } from '../config';
import { MalformedPasswordHashError, parseHash, PepperMismatchError, verifyPassword, type ParsedHash } from './password';

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);

/** Same scheme, iterations and salt: the same password gives the same key, so the keys can be compared. */
function sameDerivation(a: ParsedHash, b: ParsedHash): boolean {
  return (
    a.format === b.format &&
    a.peppered === b.peppered &&
    a.pepperId === b.pepperId &&
    a.hash === b.hash &&
    a.iterations === b.iterations &&
    sameBytes(a.salt, b.salt) &&
    a.key.byteLength === b.key.byteLength
  );
}

/** Whether `stored` holds the same key as `fresh`, without deriving; null when only a derivation could tell. */
function matchesWithoutDeriving(fresh: ParsedHash, stored: string): boolean | null {
  let parsed: ParsedHash;
  try {
    parsed = parseHash(stored);
  } catch (error) {
    if (error instanceof MalformedPasswordHashError) return false;
    throw error;
  }
  return sameDerivation(parsed, fresh) ? crypto.subtle.timingSafeEqual(parsed.key, fresh.key) : null;
}

export interface EarlierPasswords {
  /** The hash being replaced: compared only without deriving, since the policy already refuses the existing password. */
  current: string;
  /** The retired hashes still inside the history, newest first. */
  history: string[];
}

/**
 * Whether the new password is the current one or in the history. `newHash` is the new password
 * hashed under the tenant's salt, which the change computes anyway: every earlier hash made under
 * the same salt and parameters is compared with it in constant time, at no further derivation.
 * A history entry made otherwise (before the tenant had one salt, before a pepper was configured,
 * with other iterations) can only be checked by deriving under its own parameters: one derivation
 * each, until such entries age out. A malformed entry cannot match and is skipped, and so is one
 * made with a pepper rotated away (it cannot be checked any more); a missing pepper still fails closed.
 */
export async function isRecentPassword(
  newPassword: string,
  newHash: string,
  earlier: EarlierPasswords,
  peppers: Peppers = {},
): Promise<boolean> {
  const fresh = parseHash(newHash);
  const [current, ...history] = [earlier.current, ...earlier.history].map((stored) => matchesWithoutDeriving(fresh, stored));
  if (current || history.includes(true)) return true;
  const foreign = earlier.history.filter((_, i) => history[i] === null);
  for (const stored of foreign) {
    try {
      if (await verifyPassword(newPassword, stored, peppers)) return true;
    } catch (error) {
      if (!(error instanceof PepperMismatchError)) throw error;
    }
  }
  return false;
}
