import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { OUTBOX_RETENTION_DAYS, OUTBOX_SWEEP_AFTER_MS } from '../src/config';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1 } from './support/faults';
import { login } from './support/tenants';
import {
  consume,
  consumeDeadLetters,
  outboxRow,
  outboxRowsOf,
  receivedAt,
  receiverUrl,
  recordingQueue,
  registerEndpoint,
  sweepAt,
  tenantOfNewBusiness,
} from './support/webhooks';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('the event outbox', () => {
  it("should write tenant.password_changed in the change's batch and hand it to the queue", async () => {
    const { business, tenant, change } = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();

    const reply = await change(envWith({ EVENTS: queue }));

    expectSuccess(reply);
    const [row] = await outboxRowsOf(tenant.id);
    expect(row).toMatchObject({ business_id: business, type: 'tenant.password_changed', attempts: 0, delivered_at: null });
    expect(row.enqueued_at).not.toBeNull();
    expect(JSON.parse(row.payload)).toEqual({
      tenantId: tenant.id,
      occurredAt: new Date(row.created_at).toISOString(),
      requestId: reply.headers.get('X-Request-Id'),
      sessionsRevoked: 'others',
    });
    expect(sent).toEqual([
      { id: row.id, type: row.type, businessId: business, tenantId: tenant.id, occurredAt: new Date(row.created_at).toISOString(), data: JSON.parse(row.payload) },
    ]);
  });

  it('should write and send no event for a business without a webhook endpoint, which nobody is owed', async () => {
    const { tenant, change } = await tenantOfNewBusiness({ endpoint: null });
    const { queue, sent } = recordingQueue();

    expectSuccess(await change(envWith({ EVENTS: queue })));

    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('should write no event when the batch fails before committing', async () => {
    const { tenant, change } = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();

    const reply = await change(envWith({ EVENTS: queue, DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }) }));

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('should roll the password change back with its event when the outbox insert fails inside D1', async () => {
    const { tenant, change } = await tenantOfNewBusiness();
    const before = await tenantRow(tenant.id);
    const { queue, sent } = recordingQueue();
    // A real failure inside D1's transaction, at the batch's outbox insert.
    const trigger = `fail_outbox_${tenant.id.replaceAll('-', '_')}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON event_outbox WHEN NEW.tenant_id = '${tenant.id}' BEGIN SELECT RAISE(ABORT, 'injected'); END`,
    ).run();
    try {
      expectFailure(await change(envWith({ EVENTS: queue })), 500, 'SOMETHING_WENT_WRONG');
    } finally {
      await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    expect(await tenantRow(tenant.id)).toEqual(before);
    expect(await rowCount('audit_events', tenant.id, "outcome = 'success'")).toBe(0);
    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expect(sent).toEqual([]);
    await login(tenant);
  });

  it('should keep and send the event when D1 errs after the change committed', async () => {
    const { tenant, change } = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();

    const reply = await change(envWith({ EVENTS: queue, DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/, afterCommit: true }) }));

    expectSuccess(reply);
    const rows = await outboxRowsOf(tenant.id);
    expect(rows).toHaveLength(1);
    expect(sent.map((event) => event.id)).toEqual([rows[0].id]);
  });

  it('should write one event for one change: a replay of the stamp writes none', async () => {
    const { tenant, change } = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();
    expectSuccess(await change(envWith({ EVENTS: queue })));

    expectFailure(await change(envWith({ EVENTS: queue })), 409, 'CHANGE_PASSWORD_FAILED');

    expect(await outboxRowsOf(tenant.id)).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it('should write no event for a change that loses its stamp to another request at the commit', async () => {
    const { tenant, change } = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();
    // Another request's change commits between this one's checks and its batch.
    const raced = new Proxy(env.DB, {
      get(target, property) {
        if (property === 'batch') {
          return async (statements: D1PreparedStatement[]) => {
            await target.prepare('UPDATE tenants SET concurrency_stamp = ? WHERE id = ?').bind(crypto.randomUUID(), tenant.id).run();
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });

    expectFailure(await change(envWith({ EVENTS: queue, DB: raced })), 409, 'CHANGE_PASSWORD_FAILED');

    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('should start no second retry chain when marking the event enqueued failed after the queue took it', async () => {
    const { business, tenant, change } = await tenantOfNewBusiness();
    await registerEndpoint(business, receiverUrl('/status/503'));
    const { queue, sent } = recordingQueue();

    expectSuccess(await change(envWith({ EVENTS: queue, DB: faultyD1({ failOn: /^update "event_outbox" set "enqueued_at"/ }) })));
    const [row] = await outboxRowsOf(tenant.id);
    expect(sent.map((event) => event.id)).toEqual([row.id]);
    expect(row.enqueued_at).toBeNull();

    // The first attempt fails and is retried by the queue: the chain is running.
    const { result } = await consume(sent);
    expect(result.retryMessages).toHaveLength(1);
    expect(await outboxRow(row.id)).toMatchObject({ attempts: 1, enqueued_at: expect.any(Number) });

    const swept = recordingQueue();
    await sweepAt(row.created_at + OUTBOX_SWEEP_AFTER_MS + 1, envWith({ EVENTS: swept.queue }));
    expect(swept.sent.map((event) => event.id)).not.toContain(row.id);
  });

  it('should send by the cron sweep an event committed while the queue was down, and deliver it', async () => {
    const { business, tenant, change } = await tenantOfNewBusiness();
    const url = receiverUrl();
    await registerEndpoint(business, url);

    expectSuccess(await change(envWith({ EVENTS: recordingQueue({ failing: true }).queue })));
    const [row] = await outboxRowsOf(tenant.id);
    expect(row.enqueued_at).toBeNull();

    // Younger than OUTBOX_SWEEP_AFTER_MS, the row is left to the request, which may still be sending.
    const early = recordingQueue();
    await sweepAt(row.created_at + OUTBOX_SWEEP_AFTER_MS - 1, envWith({ EVENTS: early.queue }));
    expect(early.sent).toEqual([]);

    const late = recordingQueue();
    const sweptAt = row.created_at + OUTBOX_SWEEP_AFTER_MS + 1;
    await sweepAt(sweptAt, envWith({ EVENTS: late.queue }));
    expect(late.sent.map((event) => event.id)).toEqual([row.id]);
    expect((await outboxRow(row.id))?.enqueued_at).toBe(sweptAt);

    // Enqueued now, the row is not sent again by the next sweep.
    const again = recordingQueue();
    await sweepAt(sweptAt + OUTBOX_SWEEP_AFTER_MS, envWith({ EVENTS: again.queue }));
    expect(again.sent.map((event) => event.id)).not.toContain(row.id);

    await consume(late.sent);
    expect((await receivedAt(url)).map((request) => request.headers['webhook-id'])).toEqual([row.id]);
  });

  it('should prune delivered events after the retention period, and keep failed ones', async () => {
    const delivered = await tenantOfNewBusiness();
    const failed = await tenantOfNewBusiness();
    await registerEndpoint(delivered.business, receiverUrl());
    const { queue, sent } = recordingQueue();
    for (const tenant of [delivered, failed]) expectSuccess(await tenant.change(envWith({ EVENTS: queue })));
    const [deliveredEvent, failedEvent] = sent;
    await consume([deliveredEvent]);
    await consumeDeadLetters([failedEvent]);
    const deliveredAt = (await outboxRow(deliveredEvent.id))!.delivered_at!;

    await sweepAt(deliveredAt + OUTBOX_RETENTION_DAYS * DAY_MS - 1, envWith({ EVENTS: recordingQueue().queue }));
    expect(await outboxRow(deliveredEvent.id)).not.toBeNull();

    await sweepAt(deliveredAt + OUTBOX_RETENTION_DAYS * DAY_MS + 1, envWith({ EVENTS: recordingQueue().queue }));
    expect(await outboxRow(deliveredEvent.id)).toBeNull();
    expect((await outboxRow(failedEvent.id))?.failed_at).not.toBeNull();
  });
});
