import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { OBJECT_EVENT_RESEND_MS } from '../src/config';
import { loginLocked, sessionRevokedForGuessing } from '../src/security-events';
import * as eventOutbox from '../src/sessions/event-outbox';
import { tenantSessions } from '../src/sessions/stub';
import { unknownUserName, wrongPassword } from './support/builders';
import { expectFailure } from './support/envelope';
import { callLogin, changePassword, createApiKey, registerTenant, uniqueBusiness } from './support/tenants';
import { deliveredTo, receivedAt, receiverUrl, recordingQueue, registerEndpoint, tenantOfNewBusiness } from './support/webhooks';

/** A fresh tenant object of a fresh business, and what its events table holds. */
function freshObject() {
  const business = uniqueBusiness();
  const tenantId = crypto.randomUUID().toUpperCase();
  const stub = env.TENANT_SESSIONS.get(env.TENANT_SESSIONS.idFromName(`tenant:${business}:${tenantId}`));
  const inObject = <R>(run: (sql: SqlStorage) => R | Promise<R>) => runInDurableObject(stub, (_instance, state) => run(state.storage.sql));
  const stored = () => inObject((sql) => sql.exec<{ id: string }>('SELECT id FROM events ORDER BY created_at, id').toArray().map((row) => row.id));
  return { business, tenantId, inObject, stored };
}

describe("a Durable Object's events", () => {
  it('should keep recorded events until the queue takes them, oldest first, then forget them', async () => {
    const { business, tenantId, inObject, stored } = freshObject();
    const now = Date.now();
    const events = [
      loginLocked({ businessId: business, tenantId, retryAfterSeconds: 900, at: now }),
      sessionRevokedForGuessing({ businessId: business, tenantId, requestId: crypto.randomUUID(), at: now + 1 }),
    ];
    await inObject((sql) => events.forEach((event, i) => eventOutbox.record(sql, event, now + i)));
    expect(await inObject((sql) => eventOutbox.nextResend(sql, now))).toBe(now + OBJECT_EVENT_RESEND_MS);

    const { queue, sent } = recordingQueue();
    expect(await inObject((sql) => eventOutbox.sendPending(sql, queue))).toBe(2);

    expect(sent).toEqual(events);
    expect(await stored()).toEqual([]);
    expect(await inObject((sql) => eventOutbox.nextResend(sql, now))).toBeNull();
  });

  it('should keep the events when the queue refuses them, for the next try', async () => {
    const { business, tenantId, inObject, stored } = freshObject();
    const event = loginLocked({ businessId: business, tenantId, retryAfterSeconds: 900, at: Date.now() });
    await inObject((sql) => eventOutbox.record(sql, event, Date.now()));

    const failing = recordingQueue({ failing: true });
    await expect(inObject((sql) => eventOutbox.sendPending(sql, failing.queue))).rejects.toThrow();
    expect(await stored()).toEqual([event.id]);

    const { queue, sent } = recordingQueue();
    await inObject((sql) => eventOutbox.sendPending(sql, queue));
    expect(sent).toEqual([event]);
    expect(await stored()).toEqual([]);
  });

  it('should send more events than one queue batch holds', async () => {
    const { business, tenantId, inObject, stored } = freshObject();
    const now = Date.now();
    await inObject((sql) => {
      for (let i = 0; i < 150; i++) eventOutbox.record(sql, loginLocked({ businessId: business, tenantId, retryAfterSeconds: 60, at: now }), now + i);
    });
    const { queue, sent } = recordingQueue();
    expect(await inObject((sql) => eventOutbox.sendPending(sql, queue))).toBe(150);
    expect(new Set(sent.map((event) => event.id)).size).toBe(150);
    expect(await stored()).toEqual([]);
  });
});

describe('events the Durable Objects record, delivered to the business', () => {
  const MAX_FAILED_ATTEMPTS = 5;

  /** Wrong passwords for `userName` until the clients without a device token are locked out; returns the 429. */
  async function lockOut(apiKey: string, userName: string) {
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) {
      expectFailure(await callLogin({ userName, password: wrongPassword() }, { apiKey }), 401, 'INVALID_CREDENTIALS');
    }
    const locked = await callLogin({ userName, password: wrongPassword() }, { apiKey });
    expectFailure(locked, 429, 'TOO_MANY_ATTEMPTS');
    return locked;
  }

  it('should report the lockout of an existing user to its business, and nothing for an unknown user name', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);
    const tenant = await registerTenant({ apiKey: await createApiKey({ business }) });

    await lockOut(tenant.apiKey, unknownUserName());
    const locked = await lockOut(tenant.apiKey, tenant.userName);

    const [request] = await deliveredTo(url, 1);
    const event = new Webhook(secret).verify(request.body, request.headers);
    expect(event).toEqual({
      type: 'tenant.login_locked',
      timestamp: expect.any(String),
      data: { tenantId: tenant.id, occurredAt: expect.any(String), retryAfterSeconds: Number(locked.headers.get('Retry-After')) },
    });
    // The unknown user's lockout came first; had it been reported, it would be here by now.
    const rows = await vi.waitFor(async () => {
      const recorded = await env.DB.prepare('SELECT id FROM event_outbox WHERE business_id = ?').bind(business).all();
      expect(recorded.results).toHaveLength(1);
      return recorded.results;
    });
    expect(rows).toEqual([{ id: request.headers['webhook-id'] }]);
    expect(await receivedAt(url)).toHaveLength(1);
  });

  it('should report a session revoked for guessing, naming the request that revoked it', async () => {
    const { business, tenant, token, body, change } = await tenantOfNewBusiness();
    const url = receiverUrl();
    const secret = await registerEndpoint(business, url);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) {
      expectFailure(await changePassword(tenant, token, { ...body, existingPassword: wrongPassword() }), 400, 'MISMATCH_EXISTING_PASSWORD');
    }
    const revoked = await change();
    expectFailure(revoked, 429, 'TOO_MANY_ATTEMPTS');

    const [request] = await deliveredTo(url, 1);
    expect(new Webhook(secret).verify(request.body, request.headers)).toEqual({
      type: 'tenant.session_revoked_for_guessing',
      timestamp: expect.any(String),
      data: { tenantId: tenant.id, occurredAt: expect.any(String), requestId: revoked.headers.get('X-Request-Id') },
    });
  });

  it('should send from its alarm an event the object could not hand to the queue when it was recorded', async () => {
    const business = uniqueBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);
    const tenantId = crypto.randomUUID().toUpperCase();
    const stub = tenantSessions(env, business, tenantId);
    const event = sessionRevokedForGuessing({ businessId: business, tenantId, requestId: crypto.randomUUID(), at: Date.now() });
    // As a step leaves it when its send failed: the event recorded, the alarm set to try again.
    await runInDurableObject(stub, async (_instance, state) => {
      eventOutbox.record(state.storage.sql, event, Date.now());
      await state.storage.setAlarm(Date.now() + OBJECT_EVENT_RESEND_MS);
    });

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const [request] = await deliveredTo(url, 1);
    expect(request.headers['webhook-id']).toBe(event.id);
    // Sent, the event is forgotten; holding nothing else, the object has deleted its storage (src/sessions/retention.ts).
    const tables = (state: DurableObjectState) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'").toArray();
    expect(await runInDurableObject(stub, (_instance, state) => tables(state))).toEqual([]);
  });
});
