import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { tenantSessions } from '../src/sessions/stub';
import { freshPassphrase } from './support/builders';
import { rowCount } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1, pausedDurableObjects } from './support/faults';
import { changePassword, login, loginReply, stampReply, tenantReadyToChange, type TestTenant } from './support/tenants';

const sessionsOf = (tenant: TestTenant) => tenantSessions(env, tenant.business, tenant.id);

describe('a password change racing a login or an uncertain commit', () => {
  it('should give a login that verified the old password no session once the change has settled', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const paused = pausedDurableObjects('createSession');
    // The login verifies the old password, then waits at the door of the tenant's Durable Object.
    const racingLogin = loginReply(tenant, { env: envWith({ TENANT_SESSIONS: paused.namespace }) });
    await paused.reached;

    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));
    paused.release();

    const reply = await racingLogin;
    expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    const sessionIds = await runInDurableObject(sessionsOf(tenant), (_instance, state) =>
      state.storage.sql.exec<{ id: string }>('SELECT id FROM sessions').toArray().map((row) => row.id),
    );
    expect(sessionIds).toEqual([token.split('.')[1]]);
    await login(tenant, newPassword);
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
  });

  it('should keep giving sessions to logins with the password a change set, and to untouched tenants', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));

    const again = await login(tenant, newPassword);
    expectSuccess(await stampReply(tenant, again));
  });

  it('should keep the claim of a commit whose read-back failed, and revoke the other sessions by alarm', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const newPassword = freshPassphrase();

    const reply = await changePassword(tenant, token, body({ newPassword }), {
      env: envWith({
        DB: faultyD1({ failOn: /^update "tenants" set "password_hash"|^select "created_at" from "audit_events"/, afterCommit: true }),
      }),
    });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(await rowCount('audit_events', tenant.id, "event = 'password.change' AND outcome = 'success'")).toBe(1);
    const claims = await runInDurableObject(sessionsOf(tenant), (_instance, state) => {
      const kept = state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM claims').one().n;
      state.storage.sql.exec('UPDATE claims SET held_until = 0');
      return kept;
    });
    expect(claims).toBe(1);
    expect(await runDurableObjectAlarm(sessionsOf(tenant))).toBe(true);

    expectFailure(await stampReply(tenant, other), 401, 'UNAUTHORIZED');
    expectSuccess(await stampReply(tenant, token));
    await login(tenant, newPassword);
  });

  it('should decide an uncertain commit by its audit row, not by a stamp a later request replaced', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const newPassword = freshPassphrase();
    // The batch commits, D1 reports an error, and a stamp request overwrites the rotated stamp
    // before the read-back: only the audit row still says this request committed.
    const reply = await changePassword(tenant, token, body({ newPassword }), {
      env: envWith({
        DB: faultyD1({
          failOn: /^update "tenants" set "password_hash"/,
          afterCommit: true,
          onFault: async () => expectSuccess(await stampReply(tenant, other)),
        }),
      }),
    });

    expect(expectSuccess(reply)).toBe(tenant.id);
    expectFailure(await stampReply(tenant, other), 401, 'UNAUTHORIZED');
    await login(tenant, newPassword);
  });
});
