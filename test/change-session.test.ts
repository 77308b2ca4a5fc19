import { describe, expect, it } from 'vitest';
import { randomStamp } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyDurableObjects } from './support/faults';
import { changePassword, login, loginReply, logoutReply, tenantReadyToChange } from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;

/*
 * The change route validates the session in the same Durable Object call that admits its check
 * (one round trip fewer). These are the answers that must not change because of it.
 */
describe('the session of a password change, validated with its check', () => {
  it.each([
    ['a valid body', (body: object) => ({ body })],
    ['a body missing its fields', () => ({ body: {} })],
    ['a body that is not JSON', () => ({ body: '{' })],
    ['a body of another content type', (body: object) => ({ body: JSON.stringify(body), contentType: 'text/plain' })],
  ])('should answer 401 UNAUTHORIZED to a revoked session sending %s', async (_, options) => {
    const { tenant, token, body } = await tenantReadyToChange();
    expectSuccess(await logoutReply(tenant, token));

    const reply = await changePassword(tenant, token, body(), options(body()) as never);

    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it("should answer a live session's invalid body with the field's 400", async () => {
    const { tenant, token } = await tenantReadyToChange();

    const reply = await changePassword(tenant, token, {});

    expect(reply.status).toBe(400);
    expect(reply.body.errors?.map((error) => error.code)).toContain('INVALID_PARAM_CONCURRENCY_STAMP');
  });

  it("should count stale stamps and policy failures against nobody's budget", async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    for (let i = 0; i <= MAX_FAILED_ATTEMPTS; i++) {
      expectFailure(await changePassword(tenant, token, body({ concurrencyStamp: randomStamp() })), 409, 'CHANGE_PASSWORD_FAILED');
      expectFailure(await changePassword(tenant, token, body({ newPassword: 'password1' })), 400, 'INVALID_PARAM_NEW_PASSWORD');
    }

    expect(expectSuccess(await changePassword(tenant, token, body()))).toBe(tenant.id);
  });

  it('should answer 500 and change nothing when the Durable Object fails at that call', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const before = await tenantRow(tenant.id);

    const reply = await changePassword(tenant, token, body(), { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['beginChange']) }) });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(await tenantRow(tenant.id)).toEqual(before);
    expectSuccess(await loginReply(tenant));
    expect(expectSuccess(await changePassword(tenant, token, body()))).toBe(tenant.id);
  });

  it("should not let one tenant's token through with another tenant's object", async () => {
    const victim = await tenantReadyToChange();
    const attacker = await tenantReadyToChange();
    // The attacker's session id and secret, addressed to the victim's tenant id.
    const [, sessionId, secret] = attacker.token.split('.');
    const forged = `${victim.tenant.id}.${sessionId}.${secret}`;

    expectFailure(await changePassword(victim.tenant, forged, victim.body()), 401, 'UNAUTHORIZED');
    expect(await login(victim.tenant)).toBeTruthy();
  });
});
