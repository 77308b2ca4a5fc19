import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { tenantSessions } from '../src/sessions/stub';
import { describe, expect, it } from 'vitest';
import { freshPassphrase } from './support/builders';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, failingKv, faultyD1, faultyDurableObjects } from './support/faults';
import { changePassword, login, loginReply, registerTenant, stampReply, tenantReadyToChange, type TestTenant } from './support/tenants';

/** Ages every stamp claim of the tenant's Durable Object past its hold, then runs its alarm. */
async function settleClaimsNow(tenant: TestTenant) {
  const stub = tenantSessions(env, tenant.business, tenant.id);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec('UPDATE claims SET held_until = 0');
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/** No fault detail reaches the client: the generic message only. */
function expectNoDetail(text: string) {
  expect(text).not.toMatch(/injected|D1_ERROR|Durable Object|KV|stack|Error:/i);
}

describe('faults injected at the bindings', () => {
  it('should answer CONCURRENCY_STAMP_CREATE_FAILED when D1 fails on the stamp write, keeping the old stamp', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await stampReply(tenant, token, {
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "concurrency_stamp"/ }) }),
    });
    expectFailure(reply, 500, 'CONCURRENCY_STAMP_CREATE_FAILED');
    expectNoDetail(reply.text);
    expect((await tenantRow(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should answer SOMETHING_WENT_WRONG when D1 fails reading the tenant', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, body(), {
      env: envWith({ DB: faultyD1({ failOn: /^select .* from "tenants"/ }) }),
    });
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
  });

  it('should change nothing when the password update fails, and leave the stamp usable', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const before = await tenantRow(tenant.id);
    const change = body();

    const failed = await changePassword(tenant, token, change, {
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }) }),
    });

    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(failed.text);
    expect(await tenantRow(tenant.id)).toEqual(before);
    expect(await rowCount('password_history', tenant.id)).toBe(0);
    expect(await rowCount('audit_events', tenant.id)).toBe(0);
    await login(tenant);
    expectSuccess(await changePassword(tenant, token, change));
  });

  it('should roll back the password, history and audit rows together when a statement in the batch fails inside D1', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const before = await tenantRow(tenant.id);
    // A real failure inside D1's transaction: the audit insert, the batch's last statement, aborts.
    const trigger = `fail_audit_${tenant.id.replaceAll('-', '_')}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON audit_events WHEN NEW.tenant_id = '${tenant.id}' BEGIN SELECT RAISE(ABORT, 'injected'); END`,
    ).run();
    try {
      const reply = await changePassword(tenant, token, body());
      expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
      expectNoDetail(reply.text);
    } finally {
      await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    }
    expect(await tenantRow(tenant.id)).toEqual(before);
    expect(await rowCount('password_history', tenant.id)).toBe(0);
    await login(tenant);
  });

  it('should report success when D1 errs after the change committed, decided by re-reading', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const newPassword = freshPassphrase();
    const reply = await changePassword(tenant, token, body({ newPassword }), {
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/, afterCommit: true }) }),
    });
    expect(expectSuccess(reply)).toBe(tenant.id);
    await login(tenant, newPassword);
    expect(await rowCount('password_history', tenant.id)).toBe(1);
  });

  it.each([
    ['before', false],
    ['after', true],
  ])(
    'should answer SOMETHING_WENT_WRONG, never success, when the update fails %s committing and the outcome cannot be read back',
    async (_when, afterCommit) => {
      const { tenant, token, body } = await tenantReadyToChange();
      const newPassword = freshPassphrase();
      const reply = await changePassword(tenant, token, body({ newPassword }), {
        env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"|^select "created_at" from "audit_events"/, afterCommit }) }),
      });
      expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
      // Whatever the client was told, the stored state is whole: exactly one of the two passwords works.
      await login(tenant, afterCommit ? newPassword : tenant.password);
      expect(await rowCount('password_history', tenant.id)).toBe(afterCommit ? 1 : 0);
    },
  );

  it('should fail closed when the sessions Durable Object is unavailable', async () => {
    const { tenant, token } = await tenantReadyToChange();
    const reply = await stampReply(tenant, token, { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['validateSession']) }) });
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
    expect(reply.body.data).toBeNull();
  });

  it('should report a committed change even if the Durable Object cannot be told, and revoke the others by alarm', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const newPassword = freshPassphrase();

    const reply = await changePassword(tenant, token, body({ newPassword }), {
      env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['finishChange']) }),
    });

    expect(expectSuccess(reply)).toBe(tenant.id);
    await login(tenant, newPassword);
    // The claim outlives its hold; the alarm reads D1's audit row, sees the commit and revokes the rest.
    await settleClaimsNow(tenant);
    expectFailure(await stampReply(tenant, other), 401, 'UNAUTHORIZED');
    expectSuccess(await stampReply(tenant, token));
    // Settling again is harmless: the caller stays logged in.
    await settleClaimsNow(tenant);
    expectSuccess(await stampReply(tenant, token));
  });

  it('should revoke nothing when an abandoned change did not commit, and free its stamp', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const change = body();

    const failed = await changePassword(tenant, token, change, {
      env: envWith({
        DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }),
        TENANT_SESSIONS: faultyDurableObjects(['finishChange']),
      }),
    });
    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');

    await settleClaimsNow(tenant);
    const sessionIds = await runInDurableObject(tenantSessions(env, tenant.business, tenant.id), (_instance, state) =>
      state.storage.sql.exec<{ id: string }>('SELECT id FROM sessions ORDER BY id').toArray().map((row) => row.id),
    );
    expect(sessionIds).toEqual([token.split('.')[1], other.split('.')[1]].sort());
    expectSuccess(await changePassword(tenant, token, change));
  });

  it('should fail closed with an envelope when KV fails while checking the key', async () => {
    const tenant = await registerTenant();
    const reply = await loginReply(tenant, { env: envWith({ API_KEYS: failingKv() }) });
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
  });
});
