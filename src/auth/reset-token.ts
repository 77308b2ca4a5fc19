import { RESET_SECRET_BYTES } from '../config';
import { RESET_TOKEN_PATTERN } from '../schemas';
import { randomBytes, sha256Hex, toBase64Url, toHex } from './encoding';
import type { TokenSigner } from './token-signing';

/**
 * A password-reset token is `<tenant id>.<token id>.<secret>.<mac>`, shaped like a session token: the
 * tenant id routes the completion to the tenant's Durable Object without a database read, only the
 * SHA-256 of the 256-bit secret is stored, and the MAC (token-signing.ts, kind `reset`) binds all
 * three to the business. A token the service did not issue, a session token, or one issued for
 * another business is refused before any storage is read.
 */
export interface PresentedResetToken {
  tenantId: string;
  tokenId: string;
  secretHash: string;
}

/** The token's parts when this service issued it for `business`; null otherwise. Reads no storage. */
export async function verifyResetToken(signer: TokenSigner, business: string, token: string): Promise<PresentedResetToken | null> {
  const match = RESET_TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const [, tenantId, tokenId, secret, mac] = match;
  const signedUnder = await signer.verify('reset', business, [tenantId, tokenId, secret], mac);
  return signedUnder ? { tenantId, tokenId, secretHash: await sha256Hex(secret) } : null;
}

export interface IssuedResetToken extends PresentedResetToken {
  token: string;
}

export async function issueResetToken(signer: TokenSigner, business: string, tenantId: string): Promise<IssuedResetToken> {
  const tokenId = toHex(randomBytes(16));
  const secret = toBase64Url(randomBytes(RESET_SECRET_BYTES));
  const mac = await signer.sign('reset', business, [tenantId, tokenId, secret]);
  return { token: `${tenantId}.${tokenId}.${secret}.${mac}`, tenantId, tokenId, secretHash: await sha256Hex(secret) };
}
