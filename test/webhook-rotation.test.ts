import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { replayFailedSql, rotateSecretSql } from '../src/events/operator-sql';
import { newWebhookSecret } from '../src/events/signature';
import { passwordChanged, type EventMessage } from '../src/security-events';
import { envWith } from './support/faults';
import { rememberSecret } from './support/secret-watch';
import { uniqueBusiness } from './support/tenants';
import {
  consume,
  consumeDeadLetters,
  failedEvents,
  outboxRow,
  receivedAt,
  receiverUrl,
  recordingQueue,
  registerEndpoint,
  sweepAt,
} from './support/webhooks';

const someEvent = (businessId: string): EventMessage =>
  passwordChanged({ businessId, tenantId: crypto.randomUUID().toUpperCase(), requestId: crypto.randomUUID(), at: Date.now() - 120_000 });

/** Rotates the business's secret with the SQL `npm run webhook -- rotate` runs; returns the new secret, or null without an endpoint. */
async function rotate(business: string, at = Date.now()): Promise<string | null> {
  const secret = rememberSecret(newWebhookSecret());
  const { results } = await env.DB.prepare(rotateSecretSql(business, secret, at)).all();
  return results.length > 0 ? secret : null;
}

/** Delivers a new event of the business and returns what its receiver got. */
async function deliverOne(business: string, url: string, bindings: Env = env) {
  await consume([someEvent(business)], { bindings });
  return (await receivedAt(url)).at(-1)!;
}

/** `wrangler types` types each var as the literal of wrangler.toml; a test's other value needs the assertion. */
const withOverlapHours = (hours: string) => ({ ...env, WEBHOOK_SECRET_OVERLAP_HOURS: hours }) as unknown as Env;

const verifies = (secret: string, request: { body: string; headers: Record<string, string> }) => {
  try {
    new Webhook(secret).verify(request.body, request.headers);
    return true;
  } catch {
    return false;
  }
};

describe('npm run webhook -- rotate', () => {
  it('should sign with both secrets during the overlap, so the receiver verifies with either', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    const old = await registerEndpoint(business, url);
    const next = (await rotate(business))!;

    const request = await deliverOne(business, url);

    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/);
    expect(verifies(next, request)).toBe(true);
    expect(verifies(old, request)).toBe(true);
    expect(verifies(newWebhookSecret(), request)).toBe(false);
  });

  it('should sign with the new secret alone once WEBHOOK_SECRET_OVERLAP_HOURS have passed', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    const old = await registerEndpoint(business, url);
    const next = (await rotate(business, Date.now() - 24 * 60 * 60_000 - 1_000))!;

    const request = await deliverOne(business, url);

    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifies(next, request)).toBe(true);
    expect(verifies(old, request)).toBe(false);
  });

  it('should take the overlap from WEBHOOK_SECRET_OVERLAP_HOURS', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    const old = await registerEndpoint(business, url);
    await rotate(business, Date.now() - 2 * 60 * 60_000);

    const within = await deliverOne(business, url, withOverlapHours('3'));
    const after = await deliverOne(business, url, withOverlapHours('1'));

    expect(verifies(old, within)).toBe(true);
    expect(verifies(old, after)).toBe(false);
  });

  it('should replace the secret at once, with no overlap, when set is run again', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);
    const rotated = (await rotate(business))!;
    const replaced = await registerEndpoint(business, url);

    const request = await deliverOne(business, url);

    expect(verifies(replaced, request)).toBe(true);
    expect(verifies(rotated, request)).toBe(false);
  });

  it("should find nothing to rotate for a business without an endpoint, and leave another business's secret alone", async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);

    expect(await rotate(uniqueBusiness())).toBeNull();
    const request = await deliverOne(business, url);
    expect(request.headers['webhook-signature']).not.toContain(' ');
    expect(verifies(secret, request)).toBe(true);
  });
});

describe('npm run webhook -- replay', () => {
  /** An event of the business whose retries ran out at a receiver answering 503. */
  async function failedEvent(business: string): Promise<EventMessage> {
    const event = someEvent(business);
    await consume([event]);
    await consumeDeadLetters([event]);
    return event;
  }

  /** Runs the replay SQL, then the cron sweep, and returns what the sweep queued. */
  async function replayAndSweep(business: string, id?: string) {
    const { results } = await env.DB.prepare(replayFailedSql(business, id)).all<{ id: string }>();
    const { queue, sent } = recordingQueue();
    await sweepAt(Date.now(), envWith({ EVENTS: queue }));
    return { replayed: results.map((row) => row.id), sent };
  }

  it('should queue the failed events again, and deliver them once the receiver answers', async () => {
    const business = uniqueBusiness();
    await registerEndpoint(business, receiverUrl('/status/503'));
    const events = [await failedEvent(business), await failedEvent(business)];
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);

    const { replayed, sent } = await replayAndSweep(business);

    expect(replayed.sort()).toEqual(events.map((event) => event.id).sort());
    expect(sent.map((event) => event.id).sort()).toEqual(replayed.sort());
    await consume(sent);
    const received = await receivedAt(url);
    expect(received.map((request) => request.headers['webhook-id']).sort()).toEqual(replayed.sort());
    expect(received.every((request) => verifies(secret, request))).toBe(true);
    expect(await failedEvents(business)).toEqual([]);
    expect(await outboxRow(events[0].id)).toMatchObject({ failed_at: null, delivered_at: expect.any(Number) });
  });

  it('should queue only the event --id names', async () => {
    const business = uniqueBusiness();
    await registerEndpoint(business, receiverUrl('/status/503'));
    const [first, second] = [await failedEvent(business), await failedEvent(business)];

    const { replayed, sent } = await replayAndSweep(business, first.id);

    expect(replayed).toEqual([first.id]);
    expect(sent.map((event) => event.id)).toEqual([first.id]);
    expect((await failedEvents(business)).map((row) => row.id)).toEqual([second.id]);
  });

  it("should never queue another business's failed events, even by their id", async () => {
    const victim = uniqueBusiness();
    await registerEndpoint(victim, receiverUrl('/status/503'));
    const event = await failedEvent(victim);

    const { replayed, sent } = await replayAndSweep(uniqueBusiness(), event.id);

    expect(replayed).toEqual([]);
    expect(sent.map((queued) => queued.id)).not.toContain(event.id);
    expect((await failedEvents(victim)).map((row) => row.id)).toEqual([event.id]);
  });
});
