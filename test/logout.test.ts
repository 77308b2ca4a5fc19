import { describe, expect, it } from 'vitest';
import { changeBody, randomStamp } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import { call } from './support/request';
import { ROUTES } from './support/routes';
import { changePassword, login, logoutReply, REFUSED_API_KEYS, registerTenant, stampReply } from './support/tenants';

/** Splits `<tenant id>.<session id>.<secret>`. */
function partsOf(token: string) {
  const [tenantId, sessionId, secret] = token.split('.');
  return { tenantId, sessionId, secret };
}

/** Changes one character of the text at `index` to a different character of the same alphabet. */
function alterAt(text: string, index: number, alphabet: string): string {
  const current = text[index];
  const replacement = alphabet[(alphabet.indexOf(current) + 1) % alphabet.length];
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

/** Two tenants of one key, each with a live session. */
async function twoTenantsLoggedIn() {
  const tenantA = await registerTenant();
  const tenantB = await registerTenant({ apiKey: tenantA.apiKey });
  return { tenantA, tenantB, tokenA: await login(tenantA), tokenB: await login(tenantB) };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const randomHex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
const randomSecret = () => Array.from({ length: 43 }, () => BASE64URL[Math.floor(Math.random() * 64)]).join('');

describe('POST /v1/logout', () => {
  describe('success', () => {
    it('should revoke the calling session and answer data null', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);

      const reply = await logoutReply(tenant, token);

      expect(expectSuccess(reply)).toBeNull();
      expect(reply.body).toEqual({ data: null, succeeded: true, status: 'SUCCESS', errors: null });
      expect(reply.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
      expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    });

    it('should leave another session of the same tenant working', async () => {
      const tenant = await registerTenant();
      const leaving = await login(tenant);
      const staying = await login(tenant);

      expectSuccess(await logoutReply(tenant, leaving));

      expectFailure(await stampReply(tenant, leaving), 401, 'UNAUTHORIZED');
      expect(expectSuccess(await stampReply(tenant, staying))).toMatch(/^[0-9A-F-]{36}$/);
    });

    it('should leave the sessions of other tenants working', async () => {
      const first = await registerTenant();
      const second = await registerTenant({ apiKey: first.apiKey });
      const firstToken = await login(first);
      const secondToken = await login(second);

      expectSuccess(await logoutReply(first, firstToken));

      expectSuccess(await stampReply(second, secondToken));
    });

    it('should refuse a second logout with the same token', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      expectSuccess(await logoutReply(tenant, token));

      const reply = await logoutReply(tenant, token);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it('should refuse the revoked token on the change route too', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      expectSuccess(await logoutReply(tenant, token));

      const reply = await changePassword(tenant, token, changeBody(tenant.password, randomStamp()));

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it('should still accept the password: logging out is not a password change', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      expectSuccess(await logoutReply(tenant, token));

      const fresh = await login(tenant);

      expectSuccess(await stampReply(tenant, fresh));
    });

    it('should answer with Cache-Control no-store', async () => {
      const tenant = await registerTenant();

      const reply = await logoutReply(tenant, await login(tenant));

      expectSuccess(reply);
      expect(reply.headers.get('Cache-Control')).toBe('no-store');
    });

    it('should ignore a request body, whatever its type', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);

      const reply = await call<null>(ROUTES.logout.path, {
        method: ROUTES.logout.method,
        apiKey: tenant.apiKey,
        token,
        body: '{ not json at all',
        contentType: 'text/plain',
      });

      expect(expectSuccess(reply)).toBeNull();
      expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    });
  });

  describe('UNAUTHORIZED', () => {
    it('should refuse a missing X-Token', async () => {
      const tenant = await registerTenant();

      const reply = await logoutReply(tenant, null);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it('should refuse an empty X-Token header', async () => {
      const tenant = await registerTenant();

      const reply = await logoutReply(tenant, null, { headers: { 'X-Token': '' } });

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it.each([
      { case: 'free text', make: () => 'not-a-token' },
      { case: 'two parts only', make: (token: string) => token.split('.').slice(0, 2).join('.') },
      { case: 'a fourth part', make: (token: string) => `${token}.extra` },
      { case: 'a lower-case tenant id', make: (token: string) => token.replace(/^[^.]+/, (id) => id.toLowerCase()) },
      { case: 'a truncated secret', make: (token: string) => token.slice(0, -1) },
      { case: 'a padded secret', make: (token: string) => `${token}=` },
      { case: 'surrounding garbage', make: (token: string) => `Bearer ${token}` },
      { case: 'a tenant id that is not a GUID', make: (token: string) => token.replace(/^[^.]+/, 'tenant') },
      { case: 'an upper-case session id', make: (token: string) => token.replace(/\.([0-9a-f]{32})\./, (part) => part.toUpperCase()) },
    ])('should refuse a malformed X-Token: $case', async ({ make }) => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      const malformed = make(token);
      expect(malformed).not.toBe(token);

      const reply = await logoutReply(tenant, malformed);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenant, token));
    });

    it('should refuse a well-formed token of an unknown session', async () => {
      const tenant = await registerTenant();
      const real = await login(tenant);

      const reply = await logoutReply(tenant, `${tenant.id}.${randomHex(16)}.${randomSecret()}`);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenant, real));
    });

    it('should refuse a well-formed token of a tenant that does not exist', async () => {
      const tenant = await registerTenant();

      const reply = await logoutReply(tenant, `${crypto.randomUUID().toUpperCase()}.${randomHex(16)}.${randomSecret()}`);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it.each([
      { position: 'first', index: 0 },
      { position: 'middle', index: 21 },
      { position: 'last', index: 42 },
    ])('should refuse a token whose secret was altered at its $position character', async ({ index }) => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      const { tenantId, sessionId, secret } = partsOf(token);
      const forged = `${tenantId}.${sessionId}.${alterAt(secret, index, BASE64URL)}`;

      const reply = await logoutReply(tenant, forged);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectFailure(await stampReply(tenant, forged), 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenant, token));
    });

    it('should refuse a token whose session id was altered', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);
      const { tenantId, sessionId, secret } = partsOf(token);

      const reply = await logoutReply(tenant, `${tenantId}.${alterAt(sessionId, 0, '0123456789abcdef')}.${secret}`);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenant, token));
    });

    it("should refuse tenant A's token with tenant B's id substituted", async () => {
      const { tenantA, tenantB, tokenA, tokenB } = await twoTenantsLoggedIn();
      const { sessionId, secret } = partsOf(tokenA);
      const substituted = `${tenantB.id}.${sessionId}.${secret}`;

      const reply = await logoutReply(tenantA, substituted);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectFailure(await stampReply(tenantB, substituted), 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenantA, tokenA));
      expectSuccess(await stampReply(tenantB, tokenB));
    });

    it("should refuse tenant A's session id with tenant B's secret", async () => {
      const { tenantA, tokenA, tokenB } = await twoTenantsLoggedIn();

      const reply = await logoutReply(tenantA, `${tenantA.id}.${partsOf(tokenA).sessionId}.${partsOf(tokenB).secret}`);

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenantA, tokenA));
    });

    it('should refuse an X-Token of 10,000 characters', async () => {
      const tenant = await registerTenant();

      const reply = await logoutReply(tenant, `${tenant.id}.${'a'.repeat(10_000)}`);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it.each(REFUSED_API_KEYS)('should refuse a valid token $case and keep the session', async ({ key }) => {
      const tenant = await registerTenant();
      const token = await login(tenant);

      const reply = await logoutReply(tenant, token, { apiKey: await key() });

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expectSuccess(await stampReply(tenant, token));
    });
  });
});
