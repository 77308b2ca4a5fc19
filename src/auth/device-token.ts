import { DEVICE_SECRET_BYTES } from '../config';
import type { PresentedDevice } from '../sessions/device-store';
import { randomBytes, sha256Hex, toBase64Url, toHex } from './encoding';
import type { TokenSigner } from './token-signing';

/**
 * A device token is `<device id>.<secret>.<mac>`: 16 random bytes as hex, 32 as base64url, and the
 * MAC (token-signing.ts) binding both to the business and the user name it was issued for. Only the
 * SHA-256 of the secret is stored, in the login object of that user name.
 */
const DEVICE_TOKEN_PATTERN = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

export interface PresentedDeviceToken extends PresentedDevice {
  /** The token as issued today: the one presented, or the same device re-signed under the current key. */
  token: string;
}

/**
 * The presented X-Device-Token when this service issued it for `userName` of `business`; undefined
 * when there is none or it is not one of ours (made up, edited, or another user's), decided without
 * reading any storage.
 */
export async function parseDeviceToken(
  signer: TokenSigner,
  business: string,
  userName: string,
  header: string | undefined,
): Promise<PresentedDeviceToken | undefined> {
  const match = header === undefined ? null : DEVICE_TOKEN_PATTERN.exec(header);
  if (!match) return undefined;
  const [token, id, secret, mac] = match;
  const parts = [userName, id, secret];
  const signedUnder = await signer.verify('device', business, parts, mac);
  if (!signedUnder) return undefined;
  const current = signedUnder === 'current' ? token : `${id}.${secret}.${await signer.sign('device', business, parts)}`;
  return { id, secretHash: await sha256Hex(secret), token: current };
}

export async function issueDeviceToken(signer: TokenSigner, business: string, userName: string): Promise<PresentedDeviceToken> {
  const id = toHex(randomBytes(16));
  const secret = toBase64Url(randomBytes(DEVICE_SECRET_BYTES));
  const mac = await signer.sign('device', business, [userName, id, secret]);
  return { token: `${id}.${secret}.${mac}`, id, secretHash: await sha256Hex(secret) };
}
