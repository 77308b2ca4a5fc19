import { describe, expect, it } from 'vitest';
import { freshPassphrase } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { changePassword, login, requestStamp, stampReply, tenantReadyToChange } from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;

/*
 * A thief holding a stolen session (no password) must not be able to stop the owner from changing
 * the password, which is what evicts the thief.
 */
describe('a stolen session against the owner', () => {
  it("should revoke the thief's session after its budget of wrong guesses, while the owner changes the password", async () => {
    const { tenant, token: owner, stamp, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    expect(await requestStamp(tenant, thief)).toBe(stamp);
    for (let guess = 0; guess < MAX_FAILED_ATTEMPTS; guess++) {
      expectFailure(await changePassword(tenant, thief, body({ existingPassword: `guess ${guess}` })), 400, 'MISMATCH_EXISTING_PASSWORD');
    }

    const refused = await changePassword(tenant, thief, body({ existingPassword: 'one guess more' }));

    expectFailure(refused, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);
    expectFailure(await stampReply(tenant, thief), 401, 'UNAUTHORIZED');
    expectFailure(await changePassword(tenant, thief, body()), 401, 'UNAUTHORIZED');
    expect(expectSuccess(await changePassword(tenant, owner, body()))).toBe(tenant.id);
  });

  it('should never refuse a session that has not failed, whatever another session of the tenant did', async () => {
    const { tenant, token: owner, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    for (let guess = 0; guess < MAX_FAILED_ATTEMPTS - 1; guess++) {
      expectFailure(await changePassword(tenant, thief, body({ existingPassword: `guess ${guess}` })), 400, 'MISMATCH_EXISTING_PASSWORD');
    }

    // The owner mistypes too: counted against the owner's own session only.
    expectFailure(await changePassword(tenant, owner, body({ existingPassword: 'a typo' })), 400, 'MISMATCH_EXISTING_PASSWORD');

    expectSuccess(await changePassword(tenant, owner, body()));
    expectFailure(await stampReply(tenant, thief), 401, 'UNAUTHORIZED');
  });

  it("should give every session the same live stamp, so asking for stamps cannot supersede the owner's", async () => {
    const { tenant, token: owner, stamp, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    for (let request = 0; request < 20; request++) expect(await requestStamp(tenant, thief)).toBe(stamp);

    expectSuccess(await changePassword(tenant, owner, body()));
  });

  it("should let the owner's change win while a stamp spam loop runs alongside it", async () => {
    const { tenant, token: owner, stamp, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    const newPassword = freshPassphrase();

    const [changed, ...spam] = await Promise.all([
      changePassword(tenant, owner, body({ newPassword })),
      ...Array.from({ length: 30 }, () => stampReply(tenant, thief)),
    ]);

    expect(expectSuccess(changed)).toBe(tenant.id);
    await login(tenant, newPassword);
    const latest = (await tenantRow(tenant.id))?.concurrency_stamp;
    expect(latest).not.toBe(stamp);
    for (const reply of spam) {
      // Before the change: the owner's stamp. Between its commit and the revocation: the next stamp. Then: revoked.
      if (reply.status === 200) expect([stamp, latest]).toContain(reply.body.data);
      else expectFailure(reply, 401, 'UNAUTHORIZED');
    }
    expectFailure(await stampReply(tenant, thief), 401, 'UNAUTHORIZED');
  });
});
