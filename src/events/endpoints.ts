/** The `webhook_endpoints` table as the worker reads it; the operator CLI writes it (operator-sql.ts). */
import { eq } from 'drizzle-orm';
import { webhookEndpoints } from '../db/schema';
import type { Database } from '../db/database';

export interface Endpoint {
  url: string;
  /** The secrets deliveries are signed with: the current one, then the one a rotation replaced, during the overlap. */
  secrets: string[];
}

/** The business's endpoint; `overlapMs` after a rotation, the replaced secret still signs alongside the new one. */
export async function findEndpoint(db: Database, businessId: string, now: number, overlapMs: number): Promise<Endpoint | undefined> {
  const row = await db
    .select({
      url: webhookEndpoints.url,
      secret: webhookEndpoints.secret,
      previousSecret: webhookEndpoints.previousSecret,
      rotatedAt: webhookEndpoints.rotatedAt,
    })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.businessId, businessId))
    .get();
  if (!row) return undefined;
  const overlapping = row.previousSecret !== null && row.rotatedAt !== null && now < row.rotatedAt + overlapMs;
  return { url: row.url, secrets: overlapping ? [row.secret, row.previousSecret!] : [row.secret] };
}
