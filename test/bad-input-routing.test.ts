import { describe, expect, it } from 'vitest';
import { registerBody, unknownUserName } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectHandled, expectSuccess } from './support/envelope';
import { call, callRaw } from './support/request';
import { ROUTES } from './support/routes';
import {
  callRegister,
  createApiKey,
  login,
  loginReply,
  logoutReply,
  registerTenant,
  requestStamp,
  stampReply,
  unregisteredTenant,
} from './support/tenants';

describe('unknown routes', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/v1'],
    ['GET', '/v1/nope'],
    ['POST', '/v1/registers'],
    ['POST', '/v1/login/extra'],
    ['GET', '/v1/tenant/profile'],
    ['GET', '/v1/tenant/profile/change-password/request/more'],
    ['PUT', '/v2/tenant/profile/change-password'],
    ['GET', '/openapi.yaml'],
    ['DELETE', '/v1/nope'],
    ['GET', '/v1/%00'],
    ['GET', `/v1/${'x'.repeat(4000)}`],
  ])('should answer %s %s with 404 FAILED', async (method, path) => {
    const reply = await call(path, { method, apiKey: await createApiKey() });

    const error = expectFailure(reply, 404, 'FAILED');
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('should answer 404 FAILED for an unknown route without any key', async () => {
    expectFailure(await call('/v1/does-not-exist'), 404, 'FAILED');
  });
});

describe('wrong methods', () => {
  const wrongMethods: [{ path: string; method: string }, string[]][] = [
    [ROUTES.login, ['GET', 'PUT']],
    [ROUTES.register, ['GET', 'DELETE']],
    [ROUTES.logout, ['GET', 'PATCH']],
    [ROUTES.stamp, ['POST', 'DELETE']],
    [ROUTES.change, ['DELETE', 'GET', 'POST', 'PATCH']],
    [{ path: '/openapi.json', method: 'GET' }, ['POST']],
    [{ path: '/docs', method: 'GET' }, ['DELETE']],
  ];

  it.each(wrongMethods.flatMap(([route, methods]) => methods.map((method) => [method, route.path, route.method])))(
    'should answer %s %s with 405 FAILED and Allow: %s',
    async (method, path, allowed) => {
      const { apiKey } = await unregisteredTenant();

      const reply = await call(path, { method, apiKey });

      const error = expectFailure(reply, 405, 'FAILED');
      expect(error.message).toContain(method);
      const allow = (reply.headers.get('Allow') ?? '').split(',').map((item) => item.trim());
      expect(allow).toContain(allowed);
      expect(allow).not.toContain(method);
    },
  );

  it('should answer a wrong method with 405 even without a key', async () => {
    const reply = await call(ROUTES.login.path, { method: 'GET' });

    expectFailure(reply, 405, 'FAILED');
    expect(reply.headers.get('Allow')).toContain('POST');
  });
});

describe('HEAD on the API', () => {
  it('should answer 405 on the stamp route instead of issuing a stamp nobody can read', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const stamp = await requestStamp(tenant, token);

    const reply = await callRaw(ROUTES.stamp.path, { method: 'HEAD', apiKey: tenant.apiKey, token });

    expect(reply.status).toBe(405);
    expect(reply.headers.get('Allow')).toBe('GET');
    expect((await tenantRow(tenant.id))?.concurrency_stamp).toBe(stamp);
  });
});

describe('OPTIONS on the API', () => {
  it('should answer a real CORS preflight (with Origin) with the CORS headers', async () => {
    const reply = await callRaw(ROUTES.login.path, {
      method: 'OPTIONS',
      headers: { Origin: 'https://portal.example.com', 'Access-Control-Request-Method': 'POST' },
    });

    expect(reply.status).toBe(204);
    expect(reply.headers.get('Access-Control-Allow-Headers')).toMatch(/X-API-Key/i);
    expect(reply.headers.get('Access-Control-Allow-Headers')).toMatch(/X-Device-Token/i);
    expect(reply.headers.get('Access-Control-Allow-Headers')).toMatch(/X-Client-Address/i);
  });

  it('should let a browser portal read Retry-After, the RateLimit headers and WWW-Authenticate of a login answer', async () => {
    const reply = await callRaw(ROUTES.login.path, {
      method: 'POST',
      headers: { Origin: 'https://portal.example.com', 'Content-Type': 'application/json' },
      body: {},
    });

    const exposed = (reply.headers.get('Access-Control-Expose-Headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'ratelimit-policy', 'ratelimit', 'www-authenticate']));
  });

  it.each([
    [ROUTES.login.path, 405],
    ['/v1/nope', 404],
  ])('should answer OPTIONS %s without Origin with the %i envelope', async (path, status) => {
    expectFailure(await call(path, { method: 'OPTIONS' }), status, 'FAILED');
  });
});

describe('the nosniff header', () => {
  it('should be on every success response', async () => {
    const apiKey = await createApiKey();
    const registered = await callRegister(registerBody({ phoneNumber: '+15551234567' }), { apiKey });
    const tenant = await registerTenant({ apiKey });
    const loggedIn = await loginReply(tenant);
    const token = expectSuccess(loggedIn).token;
    const stamp = await stampReply(tenant, token);
    const loggedOut = await logoutReply(tenant, token);
    const openapi = await call('/openapi.json');

    for (const reply of [registered, loggedIn, stamp, loggedOut, openapi]) {
      expect(reply.status).toBeLessThan(300);
      expect(reply.headers.get('X-Content-Type-Options')).toBe('nosniff');
    }
  });

  it('should be on every failure response', async () => {
    const replies = await Promise.all([
      call(ROUTES.register.path, { method: 'POST', body: {} }),
      call(ROUTES.login.path, { method: 'POST', apiKey: await createApiKey(), body: { userName: unknownUserName(), password: 'wrong password 1' } }),
      call(ROUTES.logout.path, { method: 'POST', apiKey: await createApiKey() }),
      call(ROUTES.stamp.path, { apiKey: await createApiKey(), token: 'nope' }),
      call(ROUTES.change.path, { method: 'PUT', body: {} }),
      call('/nowhere'),
      call(ROUTES.login.path, { method: 'GET' }),
    ]);

    for (const reply of replies) {
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expectHandled(reply);
    }
  });

  it('should be on the docs page', async () => {
    const reply = await callRaw('/docs');
    await reply.text();

    expect(reply.status).toBe(200);
    expect(reply.headers.get('X-Content-Type-Options')).toBe('nosniff');
  });
});
