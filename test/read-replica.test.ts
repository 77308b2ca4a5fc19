import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { envWith, faultyDurableObjects } from './support/faults';
import { env } from 'cloudflare:workers';
import { tenantSessions } from '../src/sessions/stub';
import { changeBody, freshPassphrase, randomStamp } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { laggingReplica } from './support/replica';
import { changePassword, login, loginReply, loginWithDevice, registerTenant, requestStamp, tenantReadyToChange, unregisteredTenant, type TestTenant } from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;

const sessionsOf = (tenant: TestTenant) => tenantSessions(env, tenant.business, tenant.id);

/** The sessions the tenant's object holds. */
const liveSessionIds = (tenant: TestTenant) =>
  runInDurableObject(sessionsOf(tenant), (_instance, state) =>
    state.storage.sql.exec<{ id: string }>('SELECT id FROM sessions').toArray().map((row) => row.id),
  );

describe('a password change with D1 read replication on', () => {
  it.each([
    ['has never seen the tenant', false],
    ['has the tenant from before its stamp was issued', true],
  ])('should take the right stamp and password while the replica %s', async (_, seen) => {
    const replica = laggingReplica();
    const tenant = await registerTenant();
    const token = await login(tenant);
    if (seen) await replica.catchUp(tenant.id);
    const stamp = await requestStamp(tenant, token);
    const newPassword = freshPassphrase();

    expectSuccess(await changePassword(tenant, token, changeBody(tenant.password, stamp, { newPassword }), { env: replica.bindings }));

    await login(tenant, newPassword);
  });

  it('should read the tenant at the replica, not the primary, when the replica holds the stamp', async () => {
    const replica = laggingReplica();
    const { tenant, token, body } = await tenantReadyToChange();
    await replica.catchUp(tenant.id);

    expectSuccess(await changePassword(tenant, token, body(), { env: replica.bindings }));

    expect(replica.reads).toEqual({ primary: 0, replica: 1 });
  });

  it('should take the new password right after a change the replica has not seen', async () => {
    const replica = laggingReplica();
    const { tenant, token, body } = await tenantReadyToChange();
    await replica.catchUp(tenant.id);
    const second = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword: second })));
    const stamp = await requestStamp(tenant, token);
    const third = freshPassphrase();

    expectSuccess(await changePassword(tenant, token, changeBody(second, stamp, { newPassword: third }), { env: replica.bindings }));

    await login(tenant, third);
  });

  it('should let no consumed stamp and old password through a replica that still has them', async () => {
    const replica = laggingReplica();
    const { tenant, token, stamp, body } = await tenantReadyToChange();
    // The replica holds the stamp, live, and the hash of the first password; then the change consumes both.
    await replica.catchUp(tenant.id);
    const second = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword: second })));
    const afterChange = await tenantRow(tenant.id);
    const third = freshPassphrase();

    const reply = await changePassword(tenant, token, changeBody(tenant.password, stamp, { newPassword: third }), { env: replica.bindings });

    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
    expect(await tenantRow(tenant.id)).toEqual(afterChange);
    expectFailure(await loginReply(tenant, { password: third }), 401, 'INVALID_CREDENTIALS');
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
    await login(tenant, second);
  });

  it('should refuse a stamp the primary does not hold, as without replication', async () => {
    const replica = laggingReplica();
    const { tenant, token } = await tenantReadyToChange();
    await replica.catchUp(tenant.id);

    const reply = await changePassword(tenant, token, changeBody(tenant.password, randomStamp()), { env: replica.bindings });

    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
  });
});

describe('a login with D1 read replication on', () => {
  /** A tenant with a known device, whose row the replica has; then its password changes at the primary only. */
  async function changedBehindTheReplica(options: { env?: Env } = {}) {
    const replica = laggingReplica();
    const { tenant, token, body } = await tenantReadyToChange();
    const { deviceToken } = await loginWithDevice(tenant);
    await replica.catchUp(tenant.id);
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword }), options));
    return { replica, tenant, deviceToken, newPassword };
  }

  it.each([
    ['without a device token', false],
    ['from a known device', true],
  ])('should take the new password right after a change the replica has not seen, %s', async (_, withDevice) => {
    const { replica, tenant, deviceToken, newPassword } = await changedBehindTheReplica();
    const headers = withDevice ? { 'X-Device-Token': deviceToken } : undefined;

    const reply = await loginReply(tenant, { password: newPassword, headers, env: replica.bindings });

    expect(expectSuccess(reply).authContactBookInfo.id).toBe(tenant.id);
    expect(replica.reads).toEqual({ primary: 1, replica: 1 });
  });

  it.each([
    ['without a device token', false],
    ['from a known device', true],
  ])('should refuse the old password the replica still has, %s, and count it', async (_, withDevice) => {
    const { replica, tenant, deviceToken, newPassword } = await changedBehindTheReplica();
    const headers = withDevice ? { 'X-Device-Token': deviceToken } : undefined;

    expectFailure(await loginReply(tenant, { headers, env: replica.bindings }), 401, 'INVALID_CREDENTIALS');

    // Counted as a failure: the same budget's correct login still gets in, and five more failures lock it.
    for (let i = 0; i < MAX_FAILED_ATTEMPTS - 1; i++) expectFailure(await loginReply(tenant, { headers, env: replica.bindings }), 401, 'INVALID_CREDENTIALS');
    expectFailure(await loginReply(tenant, { headers, password: newPassword, env: replica.bindings }), 429, 'TOO_MANY_ATTEMPTS');
  });

  it("should give the old password no session when the login object missed the change: the tenant's object refuses it", async () => {
    const { replica, tenant, newPassword } = await changedBehindTheReplica({ env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['noteChange']) }) });
    const sessionsBefore = await liveSessionIds(tenant);

    expectFailure(await loginReply(tenant, { env: replica.bindings }), 401, 'INVALID_CREDENTIALS');

    expect(await liveSessionIds(tenant)).toEqual(sessionsBefore);
    expect(replica.reads.replica).toBe(1);
    await replica.catchUp(tenant.id);
    expectSuccess(await loginReply(tenant, { password: newPassword, env: replica.bindings }));
  });

  it('should read the replica alone for a tenant it has caught up with', async () => {
    const replica = laggingReplica();
    const tenant = await registerTenant();
    await replica.catchUp(tenant.id);

    expectSuccess(await loginReply(tenant, { env: replica.bindings }));

    expect(replica.reads).toEqual({ primary: 0, replica: 1 });
  });

  it('should log in a tenant registered moments ago, whose row the replica does not have yet', async () => {
    const replica = laggingReplica();
    const tenant = await registerTenant({}, { env: replica.bindings });

    expectSuccess(await loginReply(tenant, { env: replica.bindings }));

    expect(replica.reads).toEqual({ primary: 1, replica: 1 });
  });

  it('should answer a user name nobody has from the replica alone, as it answers a known one', async () => {
    const replica = laggingReplica();
    const tenant = await unregisteredTenant();

    expectFailure(await loginReply(tenant, { env: replica.bindings }), 401, 'INVALID_CREDENTIALS');

    expect(replica.reads).toEqual({ primary: 0, replica: 1 });
  });
});
