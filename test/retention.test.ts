import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { OUTBOX_RETENTION_DAYS, RETENTION_BATCH_ROWS, RETENTION_MAX_BATCHES } from '../src/config';
import { captureConsoleLines } from './support/console-lines';
import { changeBody, wrongPassword } from './support/builders';
import { rowCount } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1 } from './support/faults';
import { changePassword, login } from './support/tenants';
import { consume, consumeDeadLetters, outboxRow, recordingQueue, sweepAt, tenantOfNewBusiness } from './support/webhooks';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The worker's bindings with one var set otherwise (wrangler types the vars as their configured values). */
const withVar = (name: 'AUDIT_RETENTION_DAYS' | 'FAILED_EVENT_RETENTION_DAYS', days: string) => ({ ...env, [name]: days }) as Env;
const lines = captureConsoleLines();

/** The audit rows of the tenant, oldest first. */
async function auditRowsOf(tenantId: string) {
  const { results } = await env.DB.prepare('SELECT outcome, created_at FROM audit_events WHERE tenant_id = ? ORDER BY id')
    .bind(tenantId)
    .all<{ outcome: string; created_at: number }>();
  return results;
}

/** `count` audit rows of a made-up tenant written at `at`, straight into D1. */
async function insertAuditRows(tenantId: string, count: number, at: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO audit_events (tenant_id, event, outcome, request_id, created_at) SELECT ?, 'login', 'failure', 'r' || i, ? FROM n`,
  )
    .bind(count, tenantId, at)
    .run();
}

const loggedEvent = (event: string) =>
  lines.filter((line) => line.includes(`"event":"${event}"`)).map((line) => JSON.parse(line) as Record<string, unknown>);

/** A tenant with a failed and a successful change behind it: two audit rows. */
async function tenantWithAuditRows() {
  const { tenant, token, body, change } = await tenantOfNewBusiness({ endpoint: null });
  expectFailure(await changePassword(tenant, token, changeBody(wrongPassword(), body.concurrencyStamp as string)), 400, 'MISMATCH_EXISTING_PASSWORD');
  expectSuccess(await change());
  const rows = await auditRowsOf(tenant.id);
  expect(rows.map((row) => row.outcome)).toEqual(['mismatch_existing_password', 'success']);
  return { tenant, writtenAt: rows[1].created_at };
}

describe('retention', () => {
  it('should keep audit rows for AUDIT_RETENTION_DAYS (400 by default) and delete them after', async () => {
    const { tenant, writtenAt } = await tenantWithAuditRows();

    await sweepAt(writtenAt + 400 * DAY_MS - 1);
    expect(await rowCount('audit_events', tenant.id)).toBe(1);

    await sweepAt(writtenAt + 400 * DAY_MS + 1);
    expect(await rowCount('audit_events', tenant.id)).toBe(0);
  });

  it('should follow the AUDIT_RETENTION_DAYS var', async () => {
    const { tenant, writtenAt } = await tenantWithAuditRows();
    const keptFor30Days = withVar('AUDIT_RETENTION_DAYS', '30');

    await sweepAt(writtenAt + 30 * DAY_MS - 1, keptFor30Days);
    expect(await rowCount('audit_events', tenant.id)).toBeGreaterThan(0);

    await sweepAt(writtenAt + 30 * DAY_MS + 1, keptFor30Days);
    expect(await rowCount('audit_events', tenant.id)).toBe(0);
  });

  it('should delete failed events FAILED_EVENT_RETENTION_DAYS (30 by default) after they failed, and delivered ones after 7 days', async () => {
    const delivered = await tenantOfNewBusiness();
    const failed = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();
    for (const tenant of [delivered, failed]) expectSuccess(await tenant.change(envWith({ EVENTS: queue })));
    const [deliveredEvent, failedEvent] = sent;
    await consume([deliveredEvent]);
    await consumeDeadLetters([failedEvent]);
    const failedAt = (await outboxRow(failedEvent.id))!.failed_at!;
    const deliveredAt = (await outboxRow(deliveredEvent.id))!.delivered_at!;

    await sweepAt(deliveredAt + OUTBOX_RETENTION_DAYS * DAY_MS + 1);
    expect(await outboxRow(deliveredEvent.id)).toBeNull();
    expect(await outboxRow(failedEvent.id)).not.toBeNull();

    await sweepAt(failedAt + 30 * DAY_MS - 1);
    expect(await outboxRow(failedEvent.id)).not.toBeNull();

    await sweepAt(failedAt + 30 * DAY_MS + 1);
    expect(await outboxRow(failedEvent.id)).toBeNull();
  });

  it('should follow the FAILED_EVENT_RETENTION_DAYS var', async () => {
    const failed = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();
    expectSuccess(await failed.change(envWith({ EVENTS: queue })));
    await consumeDeadLetters(sent);
    const failedAt = (await outboxRow(sent[0].id))!.failed_at!;

    await sweepAt(failedAt + 2 * DAY_MS + 1, withVar('FAILED_EVENT_RETENTION_DAYS', '2'));

    expect(await outboxRow(sent[0].id)).toBeNull();
  });

  it('should delete a backlog in bounded batches, leaving what one run cannot take to the next', async () => {
    const tenantId = crypto.randomUUID().toUpperCase();
    const perRun = RETENTION_BATCH_ROWS * RETENTION_MAX_BATCHES;
    const longAgo = Date.now() - 1000 * DAY_MS;
    await insertAuditRows(tenantId, perRun + 10, longAgo);

    await sweepAt(Date.now());
    const [firstRun] = loggedEvent('retention.pruned');
    expect(firstRun.audit).toBe(perRun);
    expect(await rowCount('audit_events', tenantId)).toBe(10);

    await sweepAt(Date.now());
    expect(await rowCount('audit_events', tenantId)).toBe(0);
  });

  it('should log a failing batch without its parameters, keep its rows, and still prune the other kinds', async () => {
    const { tenant, writtenAt } = await tenantWithAuditRows();
    const delivered = await tenantOfNewBusiness();
    const { queue, sent } = recordingQueue();
    expectSuccess(await delivered.change(envWith({ EVENTS: queue })));
    await consume(sent);
    const sweptAt = writtenAt + 400 * DAY_MS + 1;
    const cutoff = String(sweptAt - 400 * DAY_MS);

    await sweepAt(sweptAt, envWith({ DB: faultyD1({ failOn: /^delete from "audit_events"/ }) }));

    const [failure] = loggedEvent('retention.failed');
    expect(failure).toMatchObject({ level: 'error', kind: 'audit', deleted: 0 });
    expect(String(failure.error)).toContain('InjectedFault');
    const logged = lines.join('\n');
    expect(logged).not.toContain('params');
    expect(logged).not.toContain(cutoff);
    expect(await rowCount('audit_events', tenant.id)).toBe(2);
    expect(await outboxRow(sent[0].id)).toBeNull();
  });

  it('should never take the audit row a change reads back to decide a commit D1 reported as failed', async () => {
    const { tenant, body, change } = await tenantOfNewBusiness({ endpoint: null });
    const keptForOneDay = withVar('AUDIT_RETENTION_DAYS', '1');
    // D1 commits the change and reports an error; the shortest retention runs before the read-back.
    const faulty = faultyD1({
      failOn: /^update "tenants" set "password_hash"/,
      afterCommit: true,
      onFault: () => sweepAt(Date.now(), keptForOneDay),
    });

    expectSuccess(await change(envWith({ DB: faulty })));

    expect(await rowCount('audit_events', tenant.id, "outcome = 'success'")).toBe(1);
    await login(tenant, body.newPassword as string);
  });
});
