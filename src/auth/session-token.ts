import { SESSION_SECRET_BYTES } from '../config';
import { randomBytes, sha256Hex, toBase64Url, toHex } from './encoding';

/**
 * A session token is `<tenant id>.<session id>.<secret>`. The tenant id routes the request to the
 * tenant's Durable Object without a database read; only the SHA-256 of the secret is stored.
 */
export interface ParsedToken {
  tenantId: string;
  sessionId: string;
  secret: string;
}

const TOKEN_PATTERN =
  /^([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { tenantId: match[1], sessionId: match[2], secret: match[3] } : null;
}

export interface IssuedToken {
  token: string;
  sessionId: string;
  secretHash: string;
}

export async function issueToken(tenantId: string): Promise<IssuedToken> {
  const sessionId = toHex(randomBytes(16));
  const secret = toBase64Url(randomBytes(SESSION_SECRET_BYTES));
  return { token: `${tenantId}.${sessionId}.${secret}`, sessionId, secretHash: await sha256Hex(secret) };
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
