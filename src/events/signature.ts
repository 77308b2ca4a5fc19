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

async function signature(secret: string, signed: Uint8Array): Promise<string> {
  const key = keyOf(secret);
  if (!key) throw new Error('The stored webhook secret is not a whsec_ secret');
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, signed)))}`;
}

/**
 * The three headers of one delivery attempt; `sentAt` is the attempt's time, in Unix milliseconds.
 * One signature per secret, space-separated as the specification allows, so that during a rotation
 * a receiver verifies with either the old secret or the new one.
 */
export async function signWebhook(secrets: string[], id: string, sentAt: number, body: string): Promise<SignedHeaders> {
  const timestamp = String(Math.floor(sentAt / 1000));
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(secrets.map((secret) => signature(secret, signed)));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
