import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  type QueueResult,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import type { EventMessage } from '../../src/security-events';
import { failedEventsSql, setEndpointSql } from '../../src/events/operator-sql';
import { newWebhookSecret } from '../../src/events/signature';
import worker from '../../src/index';
import { changeBody } from './builders';
import { rememberSecret } from './secret-watch';
import { changePassword, createApiKey, login, registerTenant, requestStamp, uniqueBusiness } from './tenants';
import { RECEIVER_DOMAIN, type ReceivedRequest } from './webhook-receiver';

/** A tenant of a fresh business, logged in and holding a stamp; `change` sends a valid change with `bindings`. */
/**
 * A tenant of a new business, logged in and holding a stamp. The business has a webhook endpoint
 * (`endpoint`, a fresh receiver by default; null for none), since only then is a change's event owed.
 */
export async function tenantOfNewBusiness({ endpoint = receiverUrl() }: { endpoint?: string | null } = {}) {
  const business = uniqueBusiness();
  if (endpoint) await registerEndpoint(business, endpoint);
  const tenant = await registerTenant({ apiKey: await createApiKey({ business }) });
  const token = await login(tenant);
  const body = changeBody(tenant.password, await requestStamp(tenant, token));
  return { business, tenant, token, body, change: (bindings?: Env) => changePassword(tenant, token, body, { env: bindings }) };
}

/** A fresh host of the recording receiver (test/support/webhook-receiver.ts); `path` picks its answer. */
export const receiverUrl = (path = '/hooks') => `https://r-${crypto.randomUUID()}.${RECEIVER_DOMAIN}${path}`;

/** What the receiver behind `url`'s host has been sent so far. */
export async function receivedAt(url: string): Promise<ReceivedRequest[]> {
  const response = await fetch(new URL('/__received', url));
  return response.json();
}

/**
 * Waits until the receiver behind `url`'s host holds `count` requests, delivered through the real
 * local queues (their consumer runs within max_batch_timeout), and returns them.
 */
export async function deliveredTo(url: string, count: number): Promise<ReceivedRequest[]> {
  return vi.waitFor(
    async () => {
      const received = await receivedAt(url);
      expect(received).toHaveLength(count);
      return received;
    },
    { timeout: 20_000, interval: 250 },
  );
}

/** Registers the endpoint with the SQL `npm run webhook -- set` runs; returns the `whsec_` secret. */
export async function registerEndpoint(business: string, url: string): Promise<string> {
  const secret = rememberSecret(newWebhookSecret());
  await env.DB.prepare(setEndpointSql(business, url, secret, Date.now())).run();
  return secret;
}

export interface FailedEventRow {
  id: string;
  type: string;
  tenant_id: string;
  failed_at: number;
  attempts: number;
  last_status: string | null;
}

/** The business's failed events, by the query `npm run webhook -- failed` runs. */
export async function failedEvents(business: string): Promise<FailedEventRow[]> {
  return (await env.DB.prepare(failedEventsSql(business)).all<FailedEventRow>()).results;
}

export interface OutboxRow {
  id: string;
  business_id: string;
  tenant_id: string;
  type: string;
  payload: string;
  created_at: number;
  enqueued_at: number | null;
  delivered_at: number | null;
  failed_at: number | null;
  attempts: number;
  last_status: string | null;
}

export async function outboxRowsOf(tenantId: string): Promise<OutboxRow[]> {
  return (await env.DB.prepare('SELECT * FROM event_outbox WHERE tenant_id = ? ORDER BY created_at, id').bind(tenantId).all<OutboxRow>())
    .results;
}

export const outboxRow = async (id: string): Promise<OutboxRow | null> =>
  env.DB.prepare('SELECT * FROM event_outbox WHERE id = ?').bind(id).first<OutboxRow>();

/** An EVENTS binding that keeps what it is sent, or throws instead when `failing`. */
export function recordingQueue(options: { failing?: boolean } = {}) {
  const sent: EventMessage[] = [];
  const take = async (bodies: unknown[]) => {
    if (options.failing) throw new Error('Queue unavailable (injected)');
    sent.push(...(bodies as EventMessage[]));
  };
  const queue = {
    send: (body: unknown) => take([body]),
    sendBatch: (messages: Iterable<MessageSendRequest>) => take([...messages].map((message) => message.body)),
  } as unknown as Queue;
  return { queue, sent };
}

export interface Consumed {
  result: QueueResult;
  /** The delay each retried message asked for, by message id. */
  retryDelays: Record<string, number | undefined>;
}

/** Runs the worker's `queue()` handler on `events` as `queue` would deliver them, on their `attempts`th try. */
export async function consume(events: unknown[], options: { queue?: string; attempts?: number; bindings?: Env } = {}): Promise<Consumed> {
  const batch = createMessageBatch(
    options.queue ?? env.EVENTS_QUEUE_NAME,
    events.map((body, i) => ({ id: `m${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: options.attempts ?? 1, body })),
  );
  // The plugin's result lists retried ids without their delays: the delay is read off the call.
  const retries = batch.messages.map((message) => ({ id: message.id, spy: vi.spyOn(message, 'retry') }));
  const ctx = createExecutionContext();
  await worker.queue(batch, options.bindings ?? env);
  const retryDelays = Object.fromEntries(
    retries.filter(({ spy }) => spy.mock.calls.length > 0).map(({ id, spy }) => [id, spy.mock.calls[0][0]?.delaySeconds]),
  );
  return { result: await getQueueResult(batch, ctx), retryDelays };
}

export const consumeDeadLetters = (events: unknown[]) => consume(events, { queue: env.DEAD_LETTER_QUEUE_NAME });

/** Runs the cron trigger as if it fired at `at`. */
export async function sweepAt(at: number, bindings: Env = env): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/5 * * * *' }), bindings);
}
