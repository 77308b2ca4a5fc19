import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { env } from 'cloudflare:workers';
import { expectFailure, expectSuccess } from './support/envelope';
import { sessionReply } from './support/admin';
import { recordingStoreCalls } from './support/store-calls';
import { createApiKey, login, loginReply, logoutReply, registerTenant, uniqueBusiness } from './support/tenants';

const { sessionTtlMs, sessionIdleMs } = settingsFrom(env);

describe('GET /v1/session', () => {
  it('should answer the tenant and when the session ends, in one Durable Object call and nothing of D1', async () => {
    const tenant = await registerTenant();
    const loggedIn = expectSuccess(await loginReply(tenant));
    const { bindings, calls } = recordingStoreCalls();
    const before = Date.now();

    const data = expectSuccess(await sessionReply(tenant.apiKey, loggedIn.token, { env: bindings }));

    expect(calls).toEqual(['durableObject:describeSession']);
    expect(data.tenantId).toBe(tenant.id);
    expect(data.expiresAt).toBe(loggedIn.expiresAt);
    const idleEnd = Date.parse(data.idleExpiresAt);
    expect(idleEnd).toBeLessThanOrEqual(before + sessionIdleMs);
    expect(idleEnd).toBeGreaterThan(before + sessionIdleMs - 120_000);
    expect(Date.parse(data.expiresAt)).toBeLessThanOrEqual(before + sessionTtlMs);
  });

  it("should answer with a server key of the session's business too", async () => {
    const business = uniqueBusiness();
    const tenant = await registerTenant({ business, apiKey: await createApiKey({ business }) });
    const token = await login(tenant);

    const data = expectSuccess(await sessionReply(await createApiKey({ business, kind: 'server' }), token));

    expect(data.tenantId).toBe(tenant.id);
  });

  it("should refuse the token with another business's key, publishable or server, before any store is asked", async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const { bindings, calls } = recordingStoreCalls();

    for (const kind of ['publishable', 'server'] as const) {
      const other = await createApiKey({ business: uniqueBusiness(), kind });
      expectFailure(await sessionReply(other, token, { env: bindings }), 401, 'UNAUTHORIZED');
    }

    expect(calls).toEqual([]);
  });

  it('should refuse a missing, forged or logged-out token with 401 and the Token challenge', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);

    expectFailure(await sessionReply(tenant.apiKey, null), 401, 'UNAUTHORIZED');
    expectFailure(await sessionReply(tenant.apiKey, `${token.slice(0, -4)}AAAA`), 401, 'UNAUTHORIZED');
    expectSuccess(await logoutReply(tenant, token));
    const revoked = await sessionReply(tenant.apiKey, token);
    expect(expectFailure(revoked, 401, 'UNAUTHORIZED').message).toMatch(/revoked/);
    expect(revoked.headers.get('WWW-Authenticate')).toMatch(/^Token /);
  });
});
