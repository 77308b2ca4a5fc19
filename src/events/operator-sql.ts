/**
 * The SQL `npm run webhook` runs with `wrangler d1 execute`, which takes no bound parameters: each
 * value is checked (the business against its slug pattern, the URL against the destination policy)
 * and quoted here, in one place the tests run too.
 */
import { BUSINESS_PATTERN } from '../auth/api-key-format';
import { isWebhookSecret } from './signature';

function quote(value: string): string {
  if (value.includes('\0')) throw new Error('A NUL character cannot be stored');
  return `'${value.replaceAll("'", "''")}'`;
}

function business(slug: string): string {
  if (!BUSINESS_PATTERN.test(slug)) throw new Error(`Not a business slug: ${JSON.stringify(slug)}`);
  return quote(slug);
}

/**
 * Registers or replaces the business's endpoint, its secret replaced at once (no overlap: `rotate`
 * is the way to a new secret for a working receiver). The caller has checked the URL (destination.ts).
 */
export function setEndpointSql(slug: string, url: string, secret: string, now: number): string {
  if (!isWebhookSecret(secret)) throw new Error('Not a whsec_ secret');
  return `INSERT INTO webhook_endpoints (business_id, url, secret, created_at, updated_at)
VALUES (${business(slug)}, ${quote(url)}, ${quote(secret)}, ${now}, ${now})
ON CONFLICT (business_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, previous_secret = NULL,
  rotated_at = NULL, updated_at = excluded.updated_at;`;
}

/**
 * Gives the business's endpoint a new secret, keeping the current one as the previous: deliveries
 * carry both signatures for WEBHOOK_SECRET_OVERLAP_HOURS. Returns the business when it has an endpoint.
 */
export function rotateSecretSql(slug: string, secret: string, now: number): string {
  if (!isWebhookSecret(secret)) throw new Error('Not a whsec_ secret');
  return `UPDATE webhook_endpoints SET previous_secret = secret, secret = ${quote(secret)}, rotated_at = ${now}, updated_at = ${now}
WHERE business_id = ${business(slug)} RETURNING business_id;`;
}

/**
 * Hands the business's failed events (or the one named) back to the outbox sweep, which queues them
 * again: they count as never sent. Returns the ids.
 */
export function replayFailedSql(slug: string, id?: string): string {
  const only = id === undefined ? '' : ` AND id = ${quote(id)}`;
  return `UPDATE event_outbox SET failed_at = NULL, enqueued_at = NULL
WHERE business_id = ${business(slug)} AND failed_at IS NOT NULL${only} RETURNING id;`;
}

export function removeEndpointSql(slug: string): string {
  return `DELETE FROM webhook_endpoints WHERE business_id = ${business(slug)} RETURNING business_id;`;
}

/** The business's failed events, newest first, as `failed` lists them. */
export function failedEventsSql(slug: string, limit = 100): string {
  return `SELECT id, type, tenant_id, failed_at, attempts, last_status FROM event_outbox
WHERE business_id = ${business(slug)} AND failed_at IS NOT NULL
ORDER BY failed_at DESC, id LIMIT ${Math.trunc(limit)};`;
}
