import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { envWith, failingKv, faultyD1, faultyDurableObjects } from './faults';
import {
  call,
  changePassword,
  expectFailure,
  expectSuccess,
  login,
  newPasswordFor,
  registerTenant,
  tenantReadyToChange,
} from './helpers';

const STAMP_ROUTE = '/v1/tenant/profile/change-password/request';

async function row(id: string) {
  return env.DB.prepare('SELECT password_hash, concurrency_stamp FROM tenants WHERE id = ?')
    .bind(id)
    .first<{ password_hash: string; concurrency_stamp: string }>();
}

async function count(table: string, tenantId: string) {
  const result = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`)
    .bind(tenantId)
    .first<{ n: number }>();
  return result?.n;
}

/** No fault detail reaches the client: the generic message only. */
function expectNoDetail(text: string) {
  expect(text).not.toMatch(/injected|D1_ERROR|Durable Object|KV|stack|Error:/i);
}

describe('faults injected at the bindings', () => {
  it('should answer CONCURRENCY_STAMP_CREATE_FAILED when D1 fails on the stamp write, keeping the old stamp', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await call(STAMP_ROUTE, {
      apiKey: tenant.apiKey,
      token,
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "concurrency_stamp"/ }) }),
    });
    expectFailure(reply, 500, 'CONCURRENCY_STAMP_CREATE_FAILED');
    expectNoDetail(reply.text);
    expect((await row(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should answer SOMETHING_WENT_WRONG when D1 fails reading the tenant', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await changePassword(
      tenant,
      token,
      { existingPassword: tenant.password, newPassword: newPasswordFor(), concurrencyStamp: stamp },
      { env: envWith({ DB: faultyD1({ failOn: /^select .* from "tenants"/ }) }) },
    );
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
  });

  it('should change nothing when the password update fails, and leave the stamp usable', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const before = await row(tenant.id);
    const body = { existingPassword: tenant.password, newPassword: newPasswordFor(), concurrencyStamp: stamp };

    const failed = await changePassword(tenant, token, body, {
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }) }),
    });

    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(failed.text);
    expect(await row(tenant.id)).toEqual(before);
    expect(await count('password_history', tenant.id)).toBe(0);
    expect(await count('audit_events', tenant.id)).toBe(0);
    await login(tenant);
    expectSuccess(await changePassword(tenant, token, body));
  });

  it('should report success when D1 errs after the change committed, decided by re-reading', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const newPassword = newPasswordFor();
    const reply = await changePassword(
      tenant,
      token,
      { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp },
      { env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/, afterCommit: true }) }) },
    );
    expect(expectSuccess(reply)).toBe(tenant.id);
    await login(tenant, newPassword);
    expect(await count('password_history', tenant.id)).toBe(1);
  });

  it.each([
    ['before', false],
    ['after', true],
  ])(
    'should answer SOMETHING_WENT_WRONG, never success, when the update fails %s committing and the outcome cannot be read back',
    async (_when, afterCommit) => {
      const { tenant, token, stamp } = await tenantReadyToChange();
      const newPassword = newPasswordFor();
      const reply = await changePassword(
        tenant,
        token,
        { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp },
        {
          env: envWith({
            DB: faultyD1({ failOn: /^update "tenants" set "password_hash"|^select "id" from "tenants"/, afterCommit }),
          }),
        },
      );
      expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
      // Whatever the client was told, the stored state is whole: exactly one of the two passwords works.
      await login(tenant, afterCommit ? newPassword : tenant.password);
      expect(await count('password_history', tenant.id)).toBe(afterCommit ? 1 : 0);
    },
  );

  it('should fail closed when the sessions Durable Object is unavailable', async () => {
    const { tenant, token } = await tenantReadyToChange();
    const reply = await call(STAMP_ROUTE, {
      apiKey: tenant.apiKey,
      token,
      env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['validateSession']) }),
    });
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
    expect(reply.body.data).toBeNull();
  });

  it('should still report a committed change when revoking other sessions fails once, and retry the revocation', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const other = await login(tenant);
    const newPassword = newPasswordFor();

    const reply = await changePassword(
      tenant,
      token,
      { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp },
      { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['revokeOtherSessions'], 1) }) },
    );

    expect(expectSuccess(reply)).toBe(tenant.id);
    await login(tenant, newPassword);
    // `call` waited for the background retry, which revoked the other session.
    expectFailure(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token: other }), 401, 'UNAUTHORIZED');
    expectSuccess(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token }));
  });

  it('should fail closed with an envelope when KV fails while checking the key', async () => {
    const tenant = await registerTenant();
    const reply = await call('/v1/login', {
      method: 'POST',
      apiKey: tenant.apiKey,
      body: { userName: tenant.userName, password: tenant.password },
      env: envWith({ API_KEYS: failingKv() }),
    });
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectNoDetail(reply.text);
  });
});
