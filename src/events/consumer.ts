/**
 * The worker's `queue()` handler: delivers each event on the EVENTS queue to its business's endpoint,
 * retrying failures with growing delays, and marks the events whose retries ran out (they arrive on
 * the dead-letter queue) as failed, for `npm run webhook -- failed`.
 */
import { WEBHOOK_RETRY_BASE_SECONDS, WEBHOOK_RETRY_MAX_SECONDS, webhookSecretOverlapMs } from '../config';
import { describeError } from '../errors';
import { logJob } from '../logging';
import { openDatabase, type Database } from '../db/database';
import { postEvent } from './delivery';
import { destinationPolicyFrom, destinationProblem, type DestinationPolicy } from './destination';
import { findEndpoint } from './endpoints';
import { EventMessage } from '../security-events';
import { isSettled, recordDeadLetter, recordOutcome, type Outcome } from '../db/outbox';

/** Each environment names its queues (wrangler.toml); the vars EVENTS_QUEUE_NAME and DEAD_LETTER_QUEUE_NAME say which is which. */
export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  const db = openDatabase(env.DB);
  if (batch.queue === env.EVENTS_QUEUE_NAME) {
    const policy = destinationPolicyFrom(env);
    const overlapMs = webhookSecretOverlapMs(env);
    await Promise.all(batch.messages.map((message) => deliver(db, policy, overlapMs, message)));
  } else if (batch.queue === env.DEAD_LETTER_QUEUE_NAME) {
    await Promise.all(batch.messages.map((message) => markDead(db, message)));
  } else {
    throw new Error(`No consumer for queue ${batch.queue}`);
  }
}

/** Attempt n (from 1) failed: wait 30 s, 60 s, 120 s, … up to WEBHOOK_RETRY_MAX_SECONDS. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(WEBHOOK_RETRY_BASE_SECONDS * 2 ** Math.max(attempts - 1, 0), WEBHOOK_RETRY_MAX_SECONDS);
}

/** A body that is not an event can never be delivered: it is dropped, with a log line. */
function eventOf(message: Message): EventMessage | null {
  const parsed = EventMessage.safeParse(message.body);
  if (parsed.success) return parsed.data;
  logJob('error', 'webhook.message_malformed', { messageId: message.id });
  message.ack();
  return null;
}

async function deliver(db: Database, policy: DestinationPolicy, overlapMs: number, message: Message): Promise<void> {
  const event = eventOf(message);
  if (!event) return;
  const fields = { eventId: event.id, type: event.type, businessId: event.businessId, attempt: message.attempts };
  let outcome: Outcome;
  try {
    // A duplicate (the sweep resent what a request had sent) is not delivered twice.
    if (await isSettled(db, event.id)) return message.ack();
    const endpoint = await findEndpoint(db, event.businessId, Date.now(), overlapMs);
    const problem = endpoint && destinationProblem(endpoint.url, policy);
    if (!endpoint) {
      outcome = { status: 'no_endpoint', attempted: false, settled: 'delivered' };
    } else if (problem) {
      // Retrying cannot help; the operator must set another URL.
      logJob('error', 'webhook.destination_refused', { ...fields, problem });
      outcome = { status: 'refused_destination', attempted: false, settled: 'failed' };
    } else {
      const result = await postEvent(endpoint, event, Date.now());
      outcome = { status: result.status, attempted: true, settled: result.ok ? 'delivered' : null };
    }
  } catch (cause) {
    logJob('error', 'webhook.delivery_error', { ...fields, cause: describeError(cause) });
    return message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  }
  if (outcome.settled) message.ack();
  else message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  logJob(outcome.settled ? 'info' : 'warn', 'webhook.attempt', { ...fields, status: outcome.status });
  // After the ack: a receiver that answered must not get the event again because this write failed.
  await recordOutcome(db, event, outcome, Date.now()).catch((cause) =>
    logJob('error', 'webhook.outcome_unrecorded', { ...fields, cause: describeError(cause) }),
  );
}

async function markDead(db: Database, message: Message): Promise<void> {
  const event = eventOf(message);
  if (!event) return;
  try {
    await recordDeadLetter(db, event, Date.now());
    logJob('error', 'webhook.dead_letter', { eventId: event.id, type: event.type, businessId: event.businessId });
    message.ack();
  } catch (cause) {
    logJob('error', 'webhook.dead_letter_unrecorded', { eventId: event.id, cause: describeError(cause) });
    message.retry();
  }
}
