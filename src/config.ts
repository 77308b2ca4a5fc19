/** Every constant that matters to security or behaviour, in one place. */
import { version } from '../package.json';

/** The service's version, from package.json: /healthz and the OpenAPI document's info.version show it. */
export const SERVICE_VERSION: string = version;
/** The version of the tenant API contract (/work/shared/API.md) the routes implement. */
export const CONTRACT_VERSION = '1.3';

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
 * Upper bound of the PASSWORD_HISTORY setting (how many passwords, the current one included, a new
 * one may not repeat). Under the tenant's one salt a deeper history costs no derivation, only rows.
 */
export const PASSWORD_HISTORY_MAX = 24;
/** A cap in UTF-16 units applied before any normalization or hashing, so huge inputs cost nothing. */
export const PASSWORD_INPUT_MAX_CHARS = 512;

/** zxcvbn scores 0–4; 3 means an estimated 10^8 guesses or more ("safely unguessable" online). */
export const PASSWORD_MIN_STRENGTH_SCORE = 3;
/**
 * How much of a password zxcvbn estimates (UTF-16 units). Its matching grows faster than linearly
 * with length; a prefix this long that is guessable makes the whole guessable, and one that is not
 * already passes, so the rest of a long passphrase costs nothing.
 */
export const PASSWORD_STRENGTH_WINDOW = 48;
/** Letter substitutions ('@' for 'a') zxcvbn tries per variant; each one multiplies its work. */
export const PASSWORD_STRENGTH_L33T_SUBSTITUTIONS = 2;

export const MAX_BODY_BYTES = 16 * 1024;
/**
 * The one route with a larger body: POST /v1/admin/tenants/import, whose MAX_IMPORT_TENANTS entries do
 * not fit in MAX_BODY_BYTES. Its rows go to D1 as one bound JSON value, well under D1's 2 MB per value.
 */
export const MAX_IMPORT_BODY_BYTES = 1024 * 1024;
/** Tenants one import call takes; the operator CLI splits a longer file into calls of at most this many. */
export const MAX_IMPORT_TENANTS = 1_000;
/** An imported password hash longer than this is refused unread (a V3 hash of the longest salt and key is 176). */
export const PASSWORD_HASH_MAX_CHARS = 512;
export const MAX_CREDENTIAL_HEADER_CHARS = 512;

export const SESSION_SECRET_BYTES = 32;
/**
 * Bytes of HMAC-SHA-256 kept at the end of a session or device token (22 base64url characters): what
 * makes a token the service's own, checked before any storage is read (src/auth/token-signing.ts).
 */
export const TOKEN_MAC_BYTES = 16;
/** A TOKEN_SIGNING_KEY shorter than this is refused as if unset (`openssl rand -base64 32` gives 44). */
export const TOKEN_SIGNING_KEY_MIN_CHARS = 32;
/**
 * How long a tenant's object remembers why a session ended (expired, idle, revoked), so that its
 * holder's 401 says so; after this the token is simply unknown.
 */
export const ENDED_SESSION_MEMORY_MS = 7 * 24 * 60 * 60_000;
export const API_KEY_CACHE_TTL_SECONDS = 60;

/**
 * How long a tenant's object keeps refusing new sessions after the business disabled or deleted the
 * tenant (src/sessions/closed-sessions.ts): far longer than any login between its D1 read and its
 * session, after which D1 alone answers for the tenant.
 */
export const SESSIONS_CLOSED_MEMORY_MS = 15 * 60_000;

/**
 * How long a password change holds its stamp in the tenant's Durable Object. If the request never
 * reports back, the object's alarm settles the change after this long: it is also the bound on how
 * long other sessions can outlive a committed change whose revocation could not be delivered.
 */
export const CHANGE_CLAIM_HOLD_MS = 30_000;

/** Upper bound on the lockout that grows with each repeated lockout. */
export const MAX_LOCKOUT_MINUTES = 24 * 60;

/**
 * A password check admitted but never reported back (its request died) stops holding its share of
 * the failure budget after this long, so it cannot block the scope for good.
 */
export const CHECK_HOLD_MS = 30_000;
/**
 * How long a check waits for the checks in flight to finish when they hold what is left of the
 * budget; it is then refused with Retry-After: 1, uncounted. Several derivations' worth.
 */
export const CHECK_WAIT_MS = 5_000;

/** The window of the per-client budgets of failed logins (src/sessions/client-budget.ts). */
export const CLIENT_BUDGET_WINDOW_MS = 60_000;
/**
 * An IPv6 /48 (65,536 /64s, one site) may fail this many times the per-client limit in a window,
 * so a client rotating through its /64s is still bounded; a known device of the user named is exempt.
 */
export const NETWORK_BUDGET_FACTOR = 4;
/**
 * The window of REGISTRATIONS, the Rate Limiting binding counting registrations per key and client
 * (`period` in wrangler.toml; the binding allows 10 or 60 seconds).
 */
export const REGISTRATIONS_PERIOD_SECONDS = 60;

export const DEVICE_SECRET_BYTES = 32;
/** The secret of a password-reset token: 256 bits, of which only the SHA-256 is stored. */
export const RESET_SECRET_BYTES = 32;
/** Device tokens kept per user name; a login beyond this forgets the one used least recently. */
export const MAX_DEVICES_PER_USER = 100;

/** WEBHOOK_SECRET_OVERLAP_HOURS when unset: how long after `npm run webhook -- rotate` deliveries carry the old secret's signature too. */
export const WEBHOOK_SECRET_OVERLAP_DEFAULT_HOURS = 24;

/** How long both webhook secrets sign deliveries after a rotation, from the WEBHOOK_SECRET_OVERLAP_HOURS var. */
export function webhookSecretOverlapMs(env: object): number {
  const value = Number((env as Record<string, unknown>).WEBHOOK_SECRET_OVERLAP_HOURS);
  const hours = Number.isFinite(value) && value >= 0 ? value : WEBHOOK_SECRET_OVERLAP_DEFAULT_HOURS;
  return hours * 60 * 60_000;
}
/** A receiver slower than this counts as a failed delivery, retried like any other. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The first retry waits this long; each next one twice as long, up to WEBHOOK_RETRY_MAX_SECONDS. */
export const WEBHOOK_RETRY_BASE_SECONDS = 30;
export const WEBHOOK_RETRY_MAX_SECONDS = 4 * 60 * 60;
/** An outbox row this old that no request handed to the queue is sent by the cron sweep. */
export const OUTBOX_SWEEP_AFTER_MS = 60_000;
/** Delivered (or owed to no endpoint) events are pruned this long after delivery. */
export const OUTBOX_RETENTION_DAYS = 7;
/**
 * Rows one retention DELETE takes (src/db/retention.ts): found through an index, they cost
 * milliseconds of D1's write lock.
 */
export const RETENTION_BATCH_ROWS = 1_000;
/** Batches per kind of row in one cron run; whatever is left waits for the next run (every 5 minutes). */
export const RETENTION_MAX_BATCHES = 20;
/** A Durable Object that could not hand its events to the queue tries again this much later. */
export const OBJECT_EVENT_RESEND_MS = 30_000;
/**
 * A Durable Object created with nothing due (a forged id's, or a login object whose check was
 * abandoned) has its alarm this soon: it then deletes its storage if it holds nothing.
 */
export const EMPTY_OBJECT_CHECK_MS = 60_000;
/** An object holding rows nothing gave a time to looks at them again this much later. */
export const RETENTION_RECHECK_MS = 24 * 60 * 60_000;

export interface Settings {
  sessionTtlMs: number;
  sessionIdleMs: number;
  stampTtlMs: number;
  maxFailedAttempts: number;
  failedAttemptWindowMs: number;
  lockoutMs: number;
  passwordMinLength: number;
  /** How long a device token stays valid after the login that issued or last presented it. */
  deviceTokenTtlMs: number;
  /** Failed logins per application key and client in a minute, across user names (src/auth/login-spraying.ts). */
  loginFailuresPerMinute: number;
  /** The `limit` of the REGISTRATIONS binding, as documented to clients; wrangler.toml sets the binding's. */
  registrationsPerMinute: number;
  /** A new password may not be any of the last this many, the current one included. */
  passwordHistory: number;
  /** Audit rows (changes, failed checks) are deleted this long after they were written. */
  auditRetentionMs: number;
  /** Events whose delivery failed for good are deleted this long after they failed. */
  failedEventRetentionMs: number;
  /** How long a password-reset token issued by the business stays valid. */
  resetTokenMs: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

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
    deviceTokenTtlMs: read('DEVICE_TOKEN_TTL_DAYS', 90) * DAY_MS,
    loginFailuresPerMinute: read('LOGIN_FAILURES_PER_MINUTE', 30),
    registrationsPerMinute: read('REGISTRATIONS_PER_MINUTE', 20),
    passwordHistory: Math.min(read('PASSWORD_HISTORY', 5), PASSWORD_HISTORY_MAX),
    // Whole days, at least one: a change reads its own audit row back within its request.
    auditRetentionMs: read('AUDIT_RETENTION_DAYS', 400) * DAY_MS,
    failedEventRetentionMs: read('FAILED_EVENT_RETENTION_DAYS', 30) * DAY_MS,
    resetTokenMs: read('RESET_TOKEN_MINUTES', 30) * 60_000,
  };
}

/**
 * Whether D1 read replication is enabled on the database (D1_READ_REPLICATION = "true"): a change
 * then reads at the nearest replica first (src/tenants/change-read.ts).
 */
export function readReplicationFrom(env: object): boolean {
  return (env as Record<string, unknown>).D1_READ_REPLICATION === 'true';
}

/**
 * The pepper secrets: PASSWORD_PEPPER hashes new passwords; PASSWORD_PEPPER_PREVIOUS, set during a
 * rotation (`npm run deploy -- --rotate-pepper`), still verifies the hashes made with the one before.
 */
export interface Peppers {
  current?: string;
  previous?: string;
}

/** The pepper secrets as configured; an empty one counts as not configured. */
export function pepperFrom(env: object): Peppers {
  const read = (name: string) => {
    const value = (env as Record<string, unknown>)[name];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  return { current: read('PASSWORD_PEPPER'), previous: read('PASSWORD_PEPPER_PREVIOUS') };
}

/** The secrets session and device tokens are signed with: new tokens under `current`, `previous` still accepted. */
export interface TokenSigningKeys {
  current: string;
  previous?: string;
}

/**
 * TOKEN_SIGNING_KEY and, while keys are rotated, TOKEN_SIGNING_KEY_PREVIOUS (Worker secrets; local
 * servers and tests pass a development key). Null when the current key is missing or either one is
 * shorter than TOKEN_SIGNING_KEY_MIN_CHARS: the worker then refuses every token route (fails closed).
 */
export function tokenSigningKeysFrom(env: object): TokenSigningKeys | null {
  const vars = env as Record<string, unknown>;
  const { TOKEN_SIGNING_KEY: current, TOKEN_SIGNING_KEY_PREVIOUS: previous } = vars;
  const usable = (key: unknown): key is string => typeof key === 'string' && key.length >= TOKEN_SIGNING_KEY_MIN_CHARS;
  if (!usable(current)) return null;
  if (previous === undefined || previous === '') return { current };
  return usable(previous) ? { current, previous } : null;
}
