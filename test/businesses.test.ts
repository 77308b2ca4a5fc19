import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth/encoding';
import { tenantSessions } from '../src/sessions/stub';
import { registerBody, strongPassword, wrongPassword } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import {
  callRegister,
  changePassword,
  createApiKey,
  loginReply,
  loginWithDevice,
  logoutReply,
  registerTenant,
  requestStamp,
  stampReply,
  tenantReadyToChange,
  uniqueBusiness,
} from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;

/** The same tenant as seen through a key of another business. */
async function throughAnotherBusiness<T extends { apiKey: string; business: string }>(tenant: T): Promise<T> {
  const business = uniqueBusiness();
  return { ...tenant, business, apiKey: await createApiKey({ business }) };
}

describe('businesses: a key sees only the tenants of its own business', () => {
  it('should answer INVALID_CREDENTIALS to the right password through another business key, as for an unknown user', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const outsider = await throughAnotherBusiness(tenant);

    const reply = await loginReply(outsider);

    expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    expect(reply.text).toBe((await loginReply({ ...outsider, userName: `nobody-${crypto.randomUUID()}@example.com` })).text);
  });

  it('should register the same email with two businesses as two unrelated tenants', async () => {
    const first = await registerTenant({ business: uniqueBusiness() });
    const secondBusiness = uniqueBusiness();
    const second = await registerTenant({ business: secondBusiness, userName: first.userName, password: strongPassword() });

    expect(second.id).not.toBe(first.id);
    expect((await tenantRow(first.id))?.business_id).toBe(first.business);
    expect((await tenantRow(second.id))?.business_id).toBe(secondBusiness);
    // Each business logs in its own tenant with its own password, and only that one.
    expect(expectSuccess(await loginReply(first)).authContactBookInfo.id).toBe(first.id);
    expect(expectSuccess(await loginReply(second)).authContactBookInfo.id).toBe(second.id);
    expectFailure(await loginReply({ ...first, password: second.password }), 401, 'INVALID_CREDENTIALS');
    expectFailure(await loginReply({ ...second, password: first.password }), 401, 'INVALID_CREDENTIALS');
  });

  it('should still refuse the same email twice within one business', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const otherKeyOfTheBusiness = await createApiKey({ business: tenant.business });

    const reply = await callRegister(registerBody({ userName: tenant.userName }), { apiKey: otherKeyOfTheBusiness });

    expectFailure(reply, 409, 'USER_ALREADY_EXISTS');
  });

  it('should refuse a session token with a key of another business, and accept it with any key of its own', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { token } = await loginWithDevice(tenant);
    const outsider = await throughAnotherBusiness(tenant);
    const rotatedKey = await createApiKey({ business: tenant.business });

    expectFailure(await stampReply(outsider, token), 401, 'UNAUTHORIZED');
    expectFailure(await logoutReply(outsider, token), 401, 'UNAUTHORIZED');
    expectSuccess(await stampReply(tenant, token, { apiKey: rotatedKey }));
    // The refused attempts did not end the session.
    expectSuccess(await stampReply(tenant, token));
  });

  it("should not let another business's key change the password with a stolen token", async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const outsider = await throughAnotherBusiness(tenant);

    expectFailure(await changePassword(outsider, token, body()), 401, 'UNAUTHORIZED');

    expectSuccess(await changePassword(tenant, token, body()));
  });

  it("should refuse a session presented with another business, even in the tenant's own object", async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { token } = await loginWithDevice(tenant);
    const [, sessionId, secret] = token.split('.');
    const stub = tenantSessions(env, tenant.business, tenant.id);
    const secretHash = await sha256Hex(secret);

    expect(await stub.validateSession({ sessionId, secretHash, business: uniqueBusiness() })).toBe('unknown');
    expect(await stub.validateSession({ sessionId, secretHash, business: tenant.business })).toBe('valid');
  });

  it("should not lock a tenant out through another business's key", async () => {
    const victim = await registerTenant({ business: uniqueBusiness() });
    const attacker = await throughAnotherBusiness(victim);
    for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expectFailure(await loginReply(attacker, { password: wrongPassword() }), 401, 'INVALID_CREDENTIALS');
    }
    expectFailure(await loginReply(attacker, { password: wrongPassword() }), 429, 'TOO_MANY_ATTEMPTS');

    expectSuccess(await loginReply(victim));
  });

  it('should not count a device token of one business as a known device in another', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { deviceToken } = await loginWithDevice(tenant);
    const twin = await registerTenant({ business: uniqueBusiness(), userName: tenant.userName });
    const headers = { 'X-Device-Token': deviceToken };
    for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expectFailure(await loginReply(twin, { password: wrongPassword() }), 401, 'INVALID_CREDENTIALS');
    }

    const reply = await loginReply(twin, { headers });

    // The twin's untrusted clients are locked out; the other business's device token does not exempt anyone.
    expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    const { deviceToken: own } = await loginWithDevice(tenant, deviceToken);
    expect(own).toBe(deviceToken);
  });

  it('should give a stamp only to sessions of the tenant, in its business', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { token } = await loginWithDevice(tenant);
    const stamp = await requestStamp(tenant, token);

    expect((await tenantRow(tenant.id))?.concurrency_stamp).toBe(stamp);
    expectFailure(await stampReply(await throughAnotherBusiness(tenant), token), 401, 'UNAUTHORIZED');
  });
});
