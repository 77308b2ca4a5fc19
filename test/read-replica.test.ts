import { describe, expect, it } from 'vitest';
import { changeBody, freshPassphrase, randomStamp } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { laggingReplica } from './support/replica';
import { changePassword, login, loginReply, registerTenant, requestStamp, tenantReadyToChange } from './support/tenants';

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
