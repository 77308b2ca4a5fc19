import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, loginLocked, passwordChanged, sessionRevokedForGuessing, type EventMessage } from '../src/security-events';
import { callRaw } from './support/request';
import { expectSuccess } from './support/envelope';
import { envWith } from './support/faults';
import {
  consume,
  consumeDeadLetters,
  deliveredTo,
  failedEvents,
  outboxRow,
  receivedAt,
  receiverUrl,
  recordingQueue,
  registerEndpoint,
  tenantOfNewBusiness,
} from './support/webhooks';
import { uniqueBusiness } from './support/tenants';

/** An event of a tenant nobody registered: the consumer needs only the message. */
const someEvent = (businessId: string): EventMessage =>
  passwordChanged({ businessId, tenantId: crypto.randomUUID().toUpperCase(), requestId: crypto.randomUUID(), at: Date.now() });

describe('webhook delivery', () => {
  it('should POST a real change event signed per Standard Webhooks, which the standardwebhooks package verifies', async () => {
    const { business, tenant, change } = await tenantOfNewBusiness();
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);
    const { queue, sent } = recordingQueue();
    expectSuccess(await change(envWith({ EVENTS: queue })));
    expect(sent).toHaveLength(1);

    const { result } = await consume(sent);

    expect(result.explicitAcks).toHaveLength(1);
    const [request] = await receivedAt(url);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(sent[0].id);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verified = new Webhook(secret).verify(request.body, request.headers);
    expect(verified).toEqual({
      type: 'tenant.password_changed',
      timestamp: sent[0].occurredAt,
      data: { tenantId: tenant.id, occurredAt: sent[0].occurredAt, requestId: expect.any(String), sessionsRevoked: 'others' },
    });
    // Another secret does not verify it: the signature is bound to this business's key.
    expect(() => new Webhook(`whsec_${btoa('another key of 32 bytes, not his')}`).verify(request.body, request.headers)).toThrow();
    expect(await outboxRow(sent[0].id)).toMatchObject({ business_id: business, attempts: 1, last_status: '204', failed_at: null });
    expect((await outboxRow(sent[0].id))?.delivered_at).not.toBeNull();
  });

  it('should carry ids and times only: no password, hash, token, stamp, key or user name', async () => {
    const { business, tenant, token, body, change } = await tenantOfNewBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);
    const { queue, sent } = recordingQueue();
    expectSuccess(await change(envWith({ EVENTS: queue })));
    await consume(sent);

    const stored = await env.DB.prepare('SELECT password_hash, concurrency_stamp FROM tenants WHERE id = ?')
      .bind(tenant.id)
      .first<{ password_hash: string; concurrency_stamp: string }>();
    const secrets = [tenant.password, String(body.newPassword), stored!.password_hash, token, String(body.concurrencyStamp), stored!.concurrency_stamp, tenant.apiKey];
    const seen = [JSON.stringify(sent), JSON.stringify(await receivedAt(url)), JSON.stringify(await outboxRow(sent[0].id))];
    for (const text of seen) {
      for (const secret of [...secrets, tenant.userName]) expect(text).not.toContain(secret);
    }
  });

  it("should deliver a change's event through the queues of wrangler.toml, with no test driving the consumer", async () => {
    const { business, tenant, change } = await tenantOfNewBusiness();
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);
    expectSuccess(await change());

    const [request] = await deliveredTo(url, 1);
    expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({ data: { tenantId: tenant.id } });
  });

  it('should never send the events of business A to the endpoint of business B', async () => {
    const [a, b] = [uniqueBusiness(), uniqueBusiness()];
    const [urlA, urlB] = [receiverUrl(), receiverUrl()];
    await registerEndpoint(a, urlA);
    await registerEndpoint(b, urlB);
    const [eventsA, eventsB] = [[someEvent(a), someEvent(a)], [someEvent(b)]];

    await consume([eventsA[0], eventsB[0], eventsA[1]]);

    const ids = async (url: string) => (await receivedAt(url)).map((request) => request.headers['webhook-id']).sort();
    expect(await ids(urlA)).toEqual(eventsA.map((event) => event.id).sort());
    expect(await ids(urlB)).toEqual([eventsB[0].id]);
  });

  it('should retry a receiver answering 503 with growing delays, then list the dead letter as failed', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl('/status/503');
    await registerEndpoint(business, url);
    const event = someEvent(business);

    const delays = [];
    for (const attempts of [1, 2, 3]) {
      const { result, retryDelays } = await consume([event], { attempts });
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(Object.values(retryDelays)[0]);
    }
    expect(delays).toEqual([30, 60, 120]);
    expect(await receivedAt(url)).toHaveLength(3);
    expect(await outboxRow(event.id)).toMatchObject({ attempts: 3, last_status: '503', failed_at: null, delivered_at: null });

    // The queue gives up after max_retries and moves the message to the dead-letter queue.
    const { result } = await consumeDeadLetters([event]);

    expect(result.explicitAcks).toHaveLength(1);
    expect(await failedEvents(business)).toEqual([
      { id: event.id, type: 'tenant.password_changed', tenant_id: event.tenantId, failed_at: expect.any(Number), attempts: 3, last_status: '503' },
    ]);
    // Another business's list does not show it.
    expect(await failedEvents(uniqueBusiness())).toEqual([]);
  });

  it('should cap the retry delay at four hours', async () => {
    const business = uniqueBusiness();
    await registerEndpoint(business, receiverUrl('/status/500'));
    const { retryDelays } = await consume([someEvent(business)], { attempts: 10 });
    expect(Object.values(retryDelays)).toEqual([4 * 60 * 60]);
  });

  it('should treat a redirect as a failed delivery and never follow it', async () => {
    const business = uniqueBusiness();
    await registerEndpoint(business, receiverUrl('/status/302'));
    const event = someEvent(business);

    const { result } = await consume([event]);

    expect(result.retryMessages).toHaveLength(1);
    // The Location points at another receiver host, which nothing reached.
    expect(await receivedAt('https://elsewhere.hooks.test/')).toEqual([]);
    expect(await outboxRow(event.id)).toMatchObject({ last_status: '302', delivered_at: null });
  });

  it('should deliver each event once: a duplicate message of a delivered event is dropped', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);
    const event = someEvent(business);

    await consume([event]);
    const { result } = await consume([event]);

    expect(result.explicitAcks).toHaveLength(1);
    expect(await receivedAt(url)).toHaveLength(1);
  });

  it('should tell the queues apart by the names its environment configures, as staging names them', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);
    const staging = envWith({
      EVENTS_QUEUE_NAME: 'storegister-events-staging',
      DEAD_LETTER_QUEUE_NAME: 'storegister-events-staging-dead',
    } as Partial<Env>);
    const delivered = someEvent(business);
    const dead = someEvent(business);

    await consume([delivered], { queue: 'storegister-events-staging', bindings: staging });
    await consume([dead], { queue: 'storegister-events-staging-dead', bindings: staging });

    expect(await receivedAt(url)).toHaveLength(1);
    expect(await failedEvents(business)).toEqual([expect.objectContaining({ id: dead.id })]);
    await expect(consume([someEvent(business)], { queue: env.EVENTS_QUEUE_NAME, bindings: staging })).rejects.toThrow('No consumer');
  });

  it('should acknowledge the events of a business without an endpoint, owed to nobody, without retrying', async () => {
    const event = someEvent(uniqueBusiness());
    const { result } = await consume([event]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(await outboxRow(event.id)).toMatchObject({ attempts: 0, last_status: 'no_endpoint', failed_at: null });
  });

  it.each([
    ['plain http', 'http://hooks.example.com/in'],
    ['loopback', 'http://127.0.0.1:9000/in'],
    ['loopback over https', 'https://127.0.0.1/in'],
    ['a private address', 'https://10.1.2.3/in'],
    ['IPv6 loopback', 'https://[::1]/in'],
    ['localhost', 'https://localhost/in'],
  ])('should refuse %s when deployed and fail the event at once, since retrying cannot help', async (_case, url) => {
    const business = uniqueBusiness();
    await registerEndpoint(business, url);
    const event = someEvent(business);

    const { result } = await consume([event]);

    expect(result.explicitAcks).toHaveLength(1);
    expect(await failedEvents(business)).toEqual([expect.objectContaining({ id: event.id, attempts: 0, last_status: 'refused_destination' })]);
  });

  it('should give the row of an event recorded by a Durable Object at its first attempt', async () => {
    const business = uniqueBusiness();
    await registerEndpoint(business, receiverUrl());
    const tenantId = crypto.randomUUID().toUpperCase();
    const events = [
      loginLocked({ businessId: business, tenantId, retryAfterSeconds: 900, at: Date.now() }),
      sessionRevokedForGuessing({ businessId: business, tenantId, requestId: crypto.randomUUID(), at: Date.now() }),
    ];
    expect(await outboxRow(events[0].id)).toBeNull();

    await consume(events);

    for (const event of events) {
      expect(await outboxRow(event.id)).toMatchObject({ tenant_id: tenantId, type: event.type, attempts: 1, last_status: '204' });
    }
  });

  it('should document each event, its body and its signature headers as webhooks of the OpenAPI document', async () => {
    const doc = (await callRaw('/openapi.json').then((response) => response.json())) as {
      webhooks: Record<string, { post: { parameters: { name: string; in: string }[] } }>;
    };
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const headers = doc.webhooks[type].post.parameters.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);
      expect(headers.sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    }
  });

  it('should drop a message that is not an event, without retrying it', async () => {
    const { result } = await consume([{ type: 'tenant.password_changed', note: 'no id' }, 'text']);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
  });
});
