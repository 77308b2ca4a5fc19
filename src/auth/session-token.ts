import { SESSION_SECRET_BYTES } from '../config';
import { randomBytes, sha256Hex, toBase64Url, toHex } from './encoding';
import type { TokenSigner } from './token-signing';

/**
 * A session token is `<tenant id>.<session id>.<secret>.<mac>`. The tenant id routes the request to
 * the tenant's Durable Object without a database read; only the SHA-256 of the secret is stored; the
 * MAC (token-signing.ts) binds all three to the business, so a token the service did not issue is
 * refused before any storage is read.
 */
export interface ParsedToken {
  tenantId: string;
  sessionId: string;
  secret: string;
}

const TOKEN_PATTERN =
  /^([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

/** Why a presented token is refused without asking storage. */
export type TokenRefusal = 'malformed' | 'not_issued';

/** The token's parts when it is well formed and was issued by this service for `business`; reads no storage. */
export async function verifyToken(signer: TokenSigner, business: string, token: string): Promise<ParsedToken | TokenRefusal> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return 'malformed';
  const [, tenantId, sessionId, secret, mac] = match;
  const signedUnder = await signer.verify('session', business, [tenantId, sessionId, secret], mac);
  return signedUnder ? { tenantId, sessionId, secret } : 'not_issued';
}

export interface IssuedToken {
  token: string;
  sessionId: string;
  secretHash: string;
}

export async function issueToken(signer: TokenSigner, business: string, tenantId: string): Promise<IssuedToken> {
  const sessionId = toHex(randomBytes(16));
  const secret = toBase64Url(randomBytes(SESSION_SECRET_BYTES));
  const mac = await signer.sign('session', business, [tenantId, sessionId, secret]);
  return { token: `${tenantId}.${sessionId}.${secret}.${mac}`, sessionId, secretHash: await sha256Hex(secret) };
}

export const hashTokenSecret = (secret: string) => sha256Hex(secret);

export interface SessionIdentity {
  tenantId: string;
  sessionId: string;
}

/** What a request presents as its session: the token's ids, the hash of its secret, and the key's business. */
export interface PresentedSession extends SessionIdentity {
  secretHash: string;
  business: string;
}
