/** The `webhook_endpoints` table as the worker reads it; the operator CLI writes it (operator-sql.ts). */
import { eq } from 'drizzle-orm';
import { webhookEndpoints } from '../db/schema';
import type { Database } from '../db/database';

export interface Endpoint {
  url: string;
  secret: string;
}

export async function findEndpoint(db: Database, businessId: string): Promise<Endpoint | undefined> {
  return db
    .select({ url: webhookEndpoints.url, secret: webhookEndpoints.secret })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.businessId, businessId))
    .get();
}
