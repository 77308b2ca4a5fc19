import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/session-token';
import { tokenSignerFrom } from '../src/auth/token-signing';
import { tenantSessions } from '../src/sessions/stub';
import { changeBody, unknownApiKey, unknownUserName, wrongPassword } from './support/builders';
import { expectFailure } from './support/envelope';
import type { Reply } from './support/request';
import {
  changePassword,
  createApiKey,
  login,
  loginReply,
  logoutReply,
  registerTenant,
  requestStamp,
  stampReply,
  tenantReadyToChange,
  uniqueBusiness,
  type TestTenant,
} from './support/tenants';

const KEY_CHALLENGE = 'ApiKey realm="storegister", header="X-API-Key"';
const TOKEN_CHALLENGE = 'Token realm="storegister", header="X-Token"';

/** The 401's message, after checking its code and its challenge. */
function refusal(reply: Reply, challenge: string): string {
  const error = expectFailure(reply, 401, 'UNAUTHORIZED');
  expect(reply.headers.get('WWW-Authenticate')).toBe(challenge);
  return error.message;
}

/** Rewrites the session's times in the tenant's object, as if time had passed. */
async function age(tenant: TestTenant, token: string, column: 'expires_at' | 'last_used_at') {
  await runInDurableObject(tenantSessions(env, tenant.business, tenant.id), (_instance, state) => {
    state.storage.sql.exec(`UPDATE sessions SET ${column} = ? WHERE id = ?`, column === 'expires_at' ? Date.now() - 1 : 0, token.split('.')[1]);
  });
}

/** The token with another secret, signed like a real one: what a holder of the session id alone could present if they had the signing key. */
async function forgedSecret(tenant: TestTenant, token: string): Promise<string> {
  const [tenantId, sessionId] = token.split('.');
  const secret = 'A'.repeat(43);
  const mac = await tokenSignerFrom(env).sign('session', tenant.business, [tenantId, sessionId, secret]);
  return `${tenantId}.${sessionId}.${secret}.${mac}`;
}

/** A token the service signed for the tenant, naming a session its object never held. */
const unknownSession = async (tenant: TestTenant) => (await issueToken(tokenSignerFrom(env), tenant.business, tenant.id)).token;

describe('401 UNAUTHORIZED says which header failed and why', () => {
  it.each([
    ['missing', async () => null, 'X-API-Key is missing'],
    ['malformed', async () => 'not-a-key', 'X-API-Key is malformed'],
    ['longer than any key', async () => `srk_${'a'.repeat(600)}`, 'X-API-Key is malformed'],
    ['unknown', async () => unknownApiKey(), 'X-API-Key is not a key of this service'],
    ['revoked', () => createApiKey({ revoked: true }), 'X-API-Key has been revoked'],
  ])('should say the key is %s, with the ApiKey challenge', async (_case, key, message) => {
    const tenant = await registerTenant();
    const token = await login(tenant);

    const reply = await stampReply({ ...tenant, apiKey: (await key()) as string }, token);

    expect(refusal(reply, KEY_CHALLENGE)).toContain(message);
  });

  it.each([
    ['missing', async () => null, 'X-Token is missing'],
    ['malformed', async () => 'not-a-token', 'X-Token is malformed'],
    ['not issued by this service', async (token: string) => `${token.slice(0, -4)}AAAA`, 'X-Token was not issued'],
    ['unknown', async (_token: string, tenant: TestTenant) => unknownSession(tenant), 'X-Token names no session'],
  ])('should say the token is %s, with the Token challenge', async (_case, present, message) => {
    const tenant = await registerTenant();
    const token = await login(tenant);

    expect(refusal(await stampReply(tenant, await present(token, tenant)), TOKEN_CHALLENGE)).toContain(message);
  });

  it('should say the session expired', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await age(tenant, token, 'expires_at');

    expect(refusal(await stampReply(tenant, token), TOKEN_CHALLENGE)).toContain('session that expired');
    // Said again on the next request, once the session is gone.
    expect(refusal(await stampReply(tenant, token), TOKEN_CHALLENGE)).toContain('session that expired');
  });

  it('should say the session sat idle, also after the alarm cleared it away', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await age(tenant, token, 'last_used_at');
    await runDurableObjectAlarm(tenantSessions(env, tenant.business, tenant.id));

    expect(refusal(await stampReply(tenant, token), TOKEN_CHALLENGE)).toContain('ended after sitting idle');
  });

  it('should say the session was revoked by a logout', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await logoutReply(tenant, token);

    expect(refusal(await stampReply(tenant, token), TOKEN_CHALLENGE)).toContain('was revoked');
  });

  it("should say the other sessions were revoked by a password change, on the change route too", async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    expect((await changePassword(tenant, token, body())).status).toBe(200);

    expect(refusal(await changePassword(tenant, other, changeBody(tenant.password, crypto.randomUUID())), TOKEN_CHALLENGE)).toContain('was revoked');
  });

  it('should say a token was issued through a key of another business, on the change route too', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const token = await login(tenant);
    const outsider = { ...tenant, apiKey: await createApiKey({ business: uniqueBusiness() }) };
    const stamp = await requestStamp(tenant, token);

    expect(refusal(await stampReply(outsider, token), TOKEN_CHALLENGE)).toContain('another business');
    expect(refusal(await changePassword(outsider, token, changeBody(tenant.password, stamp)), TOKEN_CHALLENGE)).toContain('another business');
  });

  it('should tell nothing but "no session" to a holder of the session id without its secret', async () => {
    const tenant = await registerTenant();
    const live = await login(tenant);
    const revoked = await login(tenant);
    await logoutReply(tenant, revoked);
    const expired = await login(tenant);
    await age(tenant, expired, 'expires_at');

    for (const token of [live, revoked, expired]) {
      expect(refusal(await stampReply(tenant, await forgedSecret(tenant, token)), TOKEN_CHALLENGE)).toContain('X-Token names no session');
    }
    // The forgeries ended nothing: the live session still works.
    expect((await stampReply(tenant, live)).status).toBe(200);
  });

  it('should answer a failed login with the one INVALID_CREDENTIALS message, for unknown users too, with a challenge', async () => {
    const tenant = await registerTenant();

    const wrong = await loginReply(tenant, { password: wrongPassword() });
    const nobody = await loginReply({ ...tenant, userName: unknownUserName() });

    for (const reply of [wrong, nobody]) {
      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.headers.get('WWW-Authenticate')).toBe(TOKEN_CHALLENGE);
    }
    expect(wrong.body.errors).toEqual(nobody.body.errors);
  });
});
