/**
 * What makes a session, device or password-reset token the service's own: HMAC-SHA-256, under the Worker secret
 * TOKEN_SIGNING_KEY, over the token's kind, the business it works with and every other part of it.
 * A token the service did not issue (made up, edited, or made for another business or user name)
 * fails here, before any storage is read. TOKEN_SIGNING_KEY_PREVIOUS is accepted too while keys are
 * rotated; new tokens are signed under the current key only.
 */
import { TOKEN_MAC_BYTES, tokenSigningKeysFrom, type TokenSigningKeys } from '../config';
import { ApiError } from '../errors';
import { timingSafeEqualText, toBase64Url } from './encoding';

export type TokenKind = 'session' | 'device' | 'reset';

/** Which key made a token's MAC. */
export type SignedUnder = 'current' | 'previous';

export interface TokenSigner {
  /** The MAC of the token made of `parts` for `business`, under the current key. */
  sign(kind: TokenKind, business: string, parts: string[]): Promise<string>;
  /** Which key `mac` was made under, or null when neither made it. */
  verify(kind: TokenKind, business: string, parts: string[], mac: string): Promise<SignedUnder | null>;
  /** Throws the operator's error unless a usable key is configured: for a route to fail closed before any storage. */
  requireKey(): void;
}

/** The operator's error in the log line of every token request while the secret is missing (at most 160 characters are logged). */
class MissingTokenSigningKey extends Error {
  constructor() {
    super('TOKEN_SIGNING_KEY is unset or under 32 characters (or TOKEN_SIGNING_KEY_PREVIOUS is): run npx wrangler secret put TOKEN_SIGNING_KEY');
    this.name = 'MissingTokenSigningKey';
  }
}

/** Imported keys, by secret: importing costs more than signing, and an isolate sees one or two secrets. */
const imported = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    if (imported.size >= 8) imported.clear();
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    imported.set(secret, key);
  }
  return key;
}

async function macOf(secret: string, kind: TokenKind, business: string, parts: string[]): Promise<string> {
  // JSON keeps the fields apart whatever they hold.
  const message = new TextEncoder().encode(JSON.stringify([kind, business, ...parts]));
  const full = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), message));
  return toBase64Url(full.slice(0, TOKEN_MAC_BYTES));
}

/** The signer of this deployment's keys; without a usable key every use fails closed, naming the secret in the log. */
export function tokenSignerFrom(env: object): TokenSigner {
  const keys = tokenSigningKeysFrom(env);
  const required = (): TokenSigningKeys => {
    if (!keys) throw new ApiError('SOMETHING_WENT_WRONG', { cause: new MissingTokenSigningKey() });
    return keys;
  };
  return {
    sign: (kind, business, parts) => macOf(required().current, kind, business, parts),
    async verify(kind, business, parts, mac) {
      const { current, previous } = required();
      if (timingSafeEqualText(await macOf(current, kind, business, parts), mac)) return 'current';
      if (previous && timingSafeEqualText(await macOf(previous, kind, business, parts), mac)) return 'previous';
      return null;
    },
    requireKey: () => void required(),
  };
}
