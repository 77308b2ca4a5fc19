/** Every constant that matters to security or behaviour, in one place. */

/** Cloudflare production rejects PBKDF2 above 100,000 iterations; local workerd does not. */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PBKDF2_ITERATIONS = PBKDF2_MAX_ITERATIONS;
export const PBKDF2_HASH = 'SHA-512';
export const PBKDF2_SALT_BYTES = 16;
export const PBKDF2_KEY_BYTES = 32;
/** Stored hashes asking for fewer iterations than this are refused as malformed. */
export const PBKDF2_MIN_ACCEPTED_ITERATIONS = 1_000;

export const PASSWORD_MAX_LENGTH = 128;
/**
 * A new password may not be any of the tenant's last PASSWORD_HISTORY_SIZE passwords, the current
 * one included. Each earlier one costs a PBKDF2 derivation per change, so the current password is
 * compared as a string and only PASSWORD_HISTORY_SIZE - 1 history entries are derived.
 */
export const PASSWORD_HISTORY_SIZE = 5;
/** A cap in UTF-16 units applied before any normalization or hashing, so huge inputs cost nothing. */
export const PASSWORD_INPUT_MAX_CHARS = 512;

export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_CREDENTIAL_HEADER_CHARS = 512;

export const SESSION_SECRET_BYTES = 32;
export const API_KEY_CACHE_TTL_SECONDS = 60;

/**
 * How long a password change holds its stamp in the tenant's Durable Object. If the request never
 * reports back, the object's alarm settles the change after this long: it is also the bound on how
 * long other sessions can outlive a committed change whose revocation could not be delivered.
 */
export const CHANGE_CLAIM_HOLD_MS = 30_000;

/** Upper bound on the lockout that grows with each repeated lockout. */
export const MAX_LOCKOUT_MINUTES = 24 * 60;

export interface Settings {
  sessionTtlMs: number;
  sessionIdleMs: number;
  stampTtlMs: number;
  maxFailedAttempts: number;
  failedAttemptWindowMs: number;
  lockoutMs: number;
  passwordMinLength: number;
}

const MINUTE_MS = 60_000;

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
}

/** Reads the tunable settings from the Worker's vars, falling back to safe defaults. */
export function settingsFrom(env: object): Settings {
  const vars = env as Record<string, unknown>;
  const read = (name: string, fallback: number) =>
    positiveInt(typeof vars[name] === 'string' ? vars[name] : undefined, fallback);
  return {
    sessionTtlMs: read('SESSION_TTL_MINUTES', 720) * MINUTE_MS,
    sessionIdleMs: read('SESSION_IDLE_MINUTES', 120) * MINUTE_MS,
    stampTtlMs: read('STAMP_TTL_MINUTES', 10) * MINUTE_MS,
    maxFailedAttempts: read('MAX_FAILED_ATTEMPTS', 5),
    failedAttemptWindowMs: read('FAILED_ATTEMPT_WINDOW_MINUTES', 15) * MINUTE_MS,
    lockoutMs: read('LOCKOUT_MINUTES', 15) * MINUTE_MS,
    passwordMinLength: Math.min(read('PASSWORD_MIN_LENGTH', 8), PASSWORD_MAX_LENGTH),
  };
}

/** The optional PASSWORD_PEPPER secret (set with `wrangler secret put`), or undefined when not configured. */
export function pepperFrom(env: object): string | undefined {
  const pepper = (env as Record<string, unknown>).PASSWORD_PEPPER;
  return typeof pepper === 'string' && pepper.length > 0 ? pepper : undefined;
}
