/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signature is
 * `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` under the key that
 * the secret `whsec_<base64>` encodes. Shared with the operator CLI, which generates the secrets.
 */
import { fromBase64, randomBytes, toBase64 } from '../auth/encoding';

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(randomBytes(SECRET_BYTES))}`;
}

/** The signing key a secret encodes, or null when it is not a `whsec_` secret. */
function keyOf(secret: string): Uint8Array | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const key = fromBase64(secret.slice(SECRET_PREFIX.length));
  return key && key.length > 0 ? key : null;
}

export const isWebhookSecret = (secret: string): boolean => keyOf(secret) !== null;

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one delivery attempt; `sentAt` is the attempt's time, in Unix milliseconds. */
export async function signWebhook(secret: string, id: string, sentAt: number, body: string): Promise<SignedHeaders> {
  const key = keyOf(secret);
  if (!key) throw new Error('The stored webhook secret is not a whsec_ secret');
  const timestamp = String(Math.floor(sentAt / 1000));
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${toBase64(new Uint8Array(mac))}` };
}
