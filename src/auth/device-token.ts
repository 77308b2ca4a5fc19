import { DEVICE_SECRET_BYTES } from '../config';
import type { PresentedDevice } from '../sessions/device-store';
import { randomBytes, sha256Hex, toBase64Url, toHex } from './encoding';

/**
 * A device token is `<device id>.<secret>`: 16 random bytes as hex, then 32 as base64url. Only the
 * SHA-256 of the secret is stored, in the login object of the user name it was issued for.
 */
const DEVICE_TOKEN_PATTERN = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

/** The presented X-Device-Token, or undefined when there is none or it is not one of ours in shape. */
export async function parseDeviceToken(header: string | undefined): Promise<PresentedDevice | undefined> {
  const match = header === undefined ? null : DEVICE_TOKEN_PATTERN.exec(header);
  return match ? { id: match[1], secretHash: await sha256Hex(match[2]) } : undefined;
}

export async function issueDeviceToken(): Promise<PresentedDevice & { token: string }> {
  const id = toHex(randomBytes(16));
  const secret = toBase64Url(randomBytes(DEVICE_SECRET_BYTES));
  return { token: `${id}.${secret}`, id, secretHash: await sha256Hex(secret) };
}
