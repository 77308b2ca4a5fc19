import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { recordFailure } from './documented-errors';
import {
  call,
  createApiKey,
  expectFailure,
  expectSuccess,
  login,
  registerTenant,
  requestStamp,
  type Reply,
  type TestTenant,
} from './helpers';

/** A registered tenant with a live session: enough to reach every route's body handling. */
async function loggedIn(): Promise<{ tenant: TestTenant; token: string }> {
  const tenant = await registerTenant();
  return { tenant, token: await login(tenant) };
}

type RouteName = 'register' | 'login' | 'logout' | 'stamp' | 'change';

interface RouteSpec {
  name: RouteName;
  method: string;
  path: string;
  session: boolean;
  /** A body that passes validation, or undefined for routes without one. */
  validBody?: (tenant: TestTenant) => Record<string, unknown>;
}

const ROUTES: RouteSpec[] = [
  {
    name: 'register',
    method: 'POST',
    path: '/v1/register',
    session: false,
    validBody: () => ({
      userName: `tenant-${crypto.randomUUID()}@example.com`,
      password: `Pw-${crypto.randomUUID()}`,
      firstName: 'Jane',
      lastName: 'Doe',
      phoneNumber: '+15551234567',
    }),
  },
  {
    name: 'login',
    method: 'POST',
    path: '/v1/login',
    session: false,
    validBody: (tenant) => ({ userName: tenant.userName, password: `wrong-${crypto.randomUUID()}` }),
  },
  { name: 'logout', method: 'POST', path: '/v1/logout', session: true },
  { name: 'stamp', method: 'GET', path: '/v1/tenant/profile/change-password/request', session: true },
  {
    name: 'change',
    method: 'PUT',
    path: '/v1/tenant/profile/change-password',
    session: true,
    validBody: (tenant) => ({
      existingPassword: tenant.password,
      newPassword: `a fresh passphrase ${crypto.randomUUID()}`,
      concurrencyStamp: crypto.randomUUID().toUpperCase(),
    }),
  },
];

const BODY_ROUTES = ROUTES.filter((route) => route.validBody);
const route = (name: RouteName) => ROUTES.find((spec) => spec.name === name)!;

/** Every response: never a 5xx, the envelope shape, first code equals status, and nosniff. */
function expectEnvelope(reply: Reply): void {
  expect(reply.status, reply.text).toBeLessThan(500);
  expect(reply.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(reply.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  expect(Object.keys(reply.body).sort()).toEqual(['data', 'errors', 'status', 'succeeded']);
  expect(typeof reply.body.succeeded).toBe('boolean');
  if (reply.body.succeeded) {
    expect(reply.body.status).toBe('SUCCESS');
    expect(reply.body.errors).toBeNull();
    return;
  }
  expect(reply.body.data).toBeNull();
  expect(Array.isArray(reply.body.errors)).toBe(true);
  expect(reply.body.errors!.length).toBeGreaterThan(0);
  expect(reply.body.errors![0].code).toBe(reply.body.status);
  for (const error of reply.body.errors!) {
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
  }
}

function expectFailed(reply: Reply, status: number) {
  expectEnvelope(reply);
  return expectFailure(reply, status, 'FAILED');
}

/** Sends a request built by hand (any body, any headers) through the worker's real entry. */
async function rawCall(path: string, init: RequestInit): Promise<Reply> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://api.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  const envelope = JSON.parse(text);
  recordFailure(init.method ?? 'GET', path, response.status, envelope?.status);
  return { status: response.status, headers: response.headers, text, body: envelope };
}

/** A fresh key and a user name nobody registered: enough for routes without a session. */
async function anonymous(): Promise<{ tenant: TestTenant; token?: string }> {
  const tenant: TestTenant = {
    id: '',
    userName: `nobody-${crypto.randomUUID()}@example.com`,
    password: `Pw-${crypto.randomUUID()}`,
    firstName: 'Jane',
    lastName: 'Doe',
    apiKey: await createApiKey(),
  };
  return { tenant };
}

/** The credential headers for a hand-built request. */
function authHeaders(tenant: TestTenant, token: string | undefined, extra: Record<string, string> = {}): Headers {
  const headers = new Headers(extra);
  headers.set('X-API-Key', tenant.apiKey);
  if (token) headers.set('X-Token', token);
  return headers;
}

const contextFor = (spec: RouteSpec) => (spec.session ? loggedIn() : anonymous());

/** Sends `body` as-is to a route, with a valid key and, where needed, a valid session. */
async function sendTo(
  spec: RouteSpec,
  body: unknown,
  options: { headers?: Record<string, string>; tenant?: TestTenant; token?: string } = {},
) {
  const { tenant, token } = options.tenant
    ? { tenant: options.tenant, token: options.token }
    : await contextFor(spec);
  return call(spec.path, {
    method: spec.method,
    apiKey: tenant.apiKey,
    token: spec.session ? token : null,
    body,
    headers: options.headers,
  });
}

describe('hostile input', () => {
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

      const error = expectFailed(reply, 404);
      expect(error.message.length).toBeGreaterThan(0);
    });

    it('should answer 404 FAILED for an unknown route without any key', async () => {
      const reply = await call('/v1/does-not-exist');

      expectFailed(reply, 404);
    });
  });

  describe('wrong methods', () => {
    it.each([
      ['GET', '/v1/login', 'POST'],
      ['PUT', '/v1/login', 'POST'],
      ['GET', '/v1/register', 'POST'],
      ['DELETE', '/v1/register', 'POST'],
      ['GET', '/v1/logout', 'POST'],
      ['PATCH', '/v1/logout', 'POST'],
      ['POST', '/v1/tenant/profile/change-password/request', 'GET'],
      ['DELETE', '/v1/tenant/profile/change-password/request', 'GET'],
      ['DELETE', '/v1/tenant/profile/change-password', 'PUT'],
      ['GET', '/v1/tenant/profile/change-password', 'PUT'],
      ['POST', '/v1/tenant/profile/change-password', 'PUT'],
      ['PATCH', '/v1/tenant/profile/change-password', 'PUT'],
      ['POST', '/openapi.json', 'GET'],
      ['DELETE', '/docs', 'GET'],
    ])('should answer %s %s with 405 FAILED and Allow: %s', async (method, path, allowed) => {
      const { tenant, token } = await anonymous();

      const reply = await call(path, { method, apiKey: tenant.apiKey, token });

      const error = expectFailed(reply, 405);
      expect(error.message).toContain(method);
      const allow = (reply.headers.get('Allow') ?? '').split(',').map((item) => item.trim());
      expect(allow).toContain(allowed);
      expect(allow).not.toContain(method);
    });

    it('should answer a wrong method with 405 even without a key', async () => {
      const reply = await call('/v1/login', { method: 'GET' });

      expectFailed(reply, 405);
      expect(reply.headers.get('Allow')).toContain('POST');
    });
  });

  describe('bodies that are not JSON', () => {
    const notJson = ['{', '{"userName": }', 'not json', "{'userName': 'a@b.co'}", '{"a":1,}', '', '\u0000\u0001\u0002', '{"a":"\\x41"}'];
    it.each(BODY_ROUTES.flatMap((spec) => notJson.map((body) => ({ name: spec.name, spec, body, shown: JSON.stringify(body) }))))(
      'should answer 400 FAILED on $name for the body $shown',
      async ({ spec, body }) => {
        const reply = await sendTo(spec, body, { headers: { 'Content-Type': 'application/json' } });

        const error = expectFailed(reply, 400);
        expect(error.field).toBeUndefined();
      },
    );

    it.each(BODY_ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 400 FAILED on $name for bytes that are not UTF-8',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);
        const headers = authHeaders(tenant, token, { 'Content-Type': 'application/json' });

        const reply = await rawCall(spec.path, { method: spec.method, headers, body: new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]) });

        expectFailed(reply, 400);
      },
    );
  });

  describe('wrong Content-Type', () => {
    const contentTypes = [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/jsonp',
      'application/json-patch+json',
      'application/xml',
      'json',
    ];
    it.each(BODY_ROUTES.flatMap((spec) => contentTypes.map((contentType) => ({ name: spec.name, spec, contentType }))))(
      'should answer 415 FAILED on $name for Content-Type $contentType',
      async ({ spec, contentType }) => {
        const { tenant, token } = await contextFor(spec);

        const reply = await sendTo(spec, JSON.stringify(spec.validBody!(tenant)), { tenant, token, headers: { 'Content-Type': contentType } });

        const error = expectFailed(reply, 415);
        expect(error.message).toContain('application/json');
      },
    );

    it.each(BODY_ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 415 FAILED on $name when the body carries no Content-Type',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);
        const body = new TextEncoder().encode(JSON.stringify(spec.validBody!(tenant)));

        const reply = await rawCall(spec.path, {
          method: spec.method,
          headers: authHeaders(tenant, token),
          body,
        });

        expectFailed(reply, 415);
      },
    );

    it.each(['application/json; charset=utf-8', 'APPLICATION/JSON', 'Application/Json;charset=UTF-8'])(
      'should accept the Content-Type %s',
      async (contentType) => {
        const spec = route('register');

        const reply = await sendTo(spec, JSON.stringify(spec.validBody!({} as TestTenant)), { headers: { 'Content-Type': contentType } });

        expectEnvelope(reply);
        expectSuccess(reply, 201);
      },
    );
  });

  describe('bodies over 16 KiB', () => {
    it.each(BODY_ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 413 FAILED on $name for a JSON body over 16 KiB',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);
        const body = { ...spec.validBody!(tenant), padding: 'x'.repeat(17 * 1024) };

        const reply = await sendTo(spec, body, { tenant, token });

        const error = expectFailed(reply, 413);
        expect(error.message).toMatch(/16384|16 ?KiB/);
      },
    );

    it.each(BODY_ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 413 FAILED on $name for a body of 1 MiB that is not even JSON',
      async ({ spec }) => {
        const reply = await sendTo(spec, 'y'.repeat(1024 * 1024));

        expectFailed(reply, 413);
      },
    );

    it.each(BODY_ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 413 FAILED on $name for a streamed body over 16 KiB without Content-Length',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);
        const chunk = new TextEncoder().encode(' '.repeat(4096));
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 8) {
              controller.enqueue(new TextEncoder().encode(JSON.stringify(spec.validBody!(tenant))));
              controller.close();
              return;
            }
            sent++;
            controller.enqueue(chunk);
          },
        });

        const reply = await rawCall(spec.path, {
          method: spec.method,
          headers: authHeaders(tenant, token, { 'Content-Type': 'application/json' }),
          body: stream,
        });

        expectFailed(reply, 413);
      },
    );
  });

  describe('JSON that is not an object', () => {
    const values = ['[]', '[{"userName":"a@b.co"}]', '42', '-1.5e308', 'null', '"a string"', 'true', '{}[]'];
    it.each(BODY_ROUTES.flatMap((spec) => values.map((body) => ({ name: spec.name, spec, body }))))(
      'should answer 400 on $name for the JSON $body',
      async ({ spec, body }) => {
        const reply = await sendTo(spec, body);

        const error = expectFailed(reply, 400);
        expect(error.field).toBeUndefined();
      },
    );
  });

  describe('fields of the wrong type', () => {
    const wrongValues: { kind: string; value: unknown }[] = [
      { kind: 'a number', value: 42 },
      { kind: 'an object', value: { $ne: '' } },
      { kind: 'an array', value: ['a@b.co'] },
      { kind: 'null', value: null },
      { kind: 'a boolean', value: true },
      { kind: 'an empty array', value: [] },
    ];
    const fields: { name: RouteName; field: string; code: string; nullable?: boolean }[] = [
      { name: 'register', field: 'userName', code: 'INVALID_PARAM_USER_NAME' },
      { name: 'register', field: 'password', code: 'INVALID_PARAM_PASSWORD' },
      { name: 'register', field: 'firstName', code: 'INVALID_PARAM_FIRST_NAME' },
      { name: 'register', field: 'lastName', code: 'INVALID_PARAM_LAST_NAME' },
      { name: 'register', field: 'phoneNumber', code: 'INVALID_PARAM_PHONE_NUMBER', nullable: true },
      { name: 'login', field: 'userName', code: 'INVALID_PARAM_USER_NAME' },
      { name: 'login', field: 'password', code: 'INVALID_PARAM_PASSWORD' },
      { name: 'change', field: 'existingPassword', code: 'INVALID_PARAM_EXISTING_PASSWORD' },
      { name: 'change', field: 'newPassword', code: 'INVALID_PARAM_NEW_PASSWORD' },
      { name: 'change', field: 'concurrencyStamp', code: 'INVALID_PARAM_CONCURRENCY_STAMP' },
    ];
    const cases = fields.flatMap((entry) =>
      wrongValues
        .filter(({ value }) => !(entry.nullable && value === null))
        .map(({ kind, value }) => ({ ...entry, kind, value })),
    );

    it.each(cases)('should answer 400 $code on $name when $field is $kind', async ({ name, field, code, value }) => {
      const spec = route(name);
      const { tenant, token } = await contextFor(spec);

      const reply = await sendTo(spec, { ...spec.validBody!(tenant), [field]: value }, { tenant, token });

      expectEnvelope(reply);
      const error = expectFailure(reply, 400, code);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
      expect(reply.body.errors).toHaveLength(1);
    });

    it('should answer the register phoneNumber null as absent', async () => {
      const spec = route('register');

      const reply = await sendTo(spec, { ...spec.validBody!({} as TestTenant), phoneNumber: null });

      expectEnvelope(reply);
      expectSuccess(reply, 201);
    });

    it('should report every wrongly typed field of one body', async () => {
      const spec = route('change');

      const reply = await sendTo(spec, { existingPassword: 1, newPassword: false, concurrencyStamp: {} });

      expectEnvelope(reply);
      expectFailure(reply, 400, 'INVALID_PARAM_EXISTING_PASSWORD');
      expect(reply.body.errors!.map((error) => error.code)).toEqual([
        'INVALID_PARAM_EXISTING_PASSWORD',
        'INVALID_PARAM_NEW_PASSWORD',
        'INVALID_PARAM_CONCURRENCY_STAMP',
      ]);
    });
  });

  describe('oversized credential headers', () => {
    it.each(ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 401 UNAUTHORIZED on $name for an X-API-Key of 10,000 characters',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);

        const reply = await call(spec.path, {
          method: spec.method,
          apiKey: 'k'.repeat(10_000),
          token,
          body: spec.validBody?.(tenant),
        });

        expectEnvelope(reply);
        expectFailure(reply, 401, 'UNAUTHORIZED');
      },
    );

    it.each(ROUTES.map((spec) => ({ name: spec.name, spec })))(
      'should answer 401 UNAUTHORIZED on $name for a valid key followed by 10,000 characters',
      async ({ spec }) => {
        const { tenant, token } = await contextFor(spec);

        const reply = await call(spec.path, {
          method: spec.method,
          apiKey: tenant.apiKey + 'k'.repeat(10_000),
          token,
          body: spec.validBody?.(tenant),
        });

        expectEnvelope(reply);
        expectFailure(reply, 401, 'UNAUTHORIZED');
      },
    );

    it.each(ROUTES.filter((spec) => spec.session).map((spec) => ({ name: spec.name, spec })))(
      'should answer 401 UNAUTHORIZED on $name for an X-Token of 10,000 characters',
      async ({ spec }) => {
        const { tenant, token } = await loggedIn();

        const reply = await call(spec.path, {
          method: spec.method,
          apiKey: tenant.apiKey,
          token: token + 'A'.repeat(10_000 - token.length),
          body: spec.validBody?.(tenant),
        });

        expectEnvelope(reply);
        expectFailure(reply, 401, 'UNAUTHORIZED');
      },
    );
  });

  describe('odd strings', () => {
    const oddStrings: { kind: string; value: string }[] = [
      { kind: 'a NUL character', value: 'a\u0000b@example.com' },
      { kind: 'a lone high surrogate', value: 'x\uD800y@example.com' },
      { kind: 'a lone low surrogate', value: '\uDC00@example.com' },
      { kind: 'a right-to-left override', value: '\u202Emoc.elpmaxe@a' },
      { kind: 'SQL', value: "a@example.com' OR '1'='1" },
      { kind: 'an emoji', value: '\u{1F600}@example.com' },
      { kind: 'combining marks', value: 'e\u0301\u0301\u0301@example.com' },
      { kind: 'only whitespace', value: ' \t\n\u00A0\u2003 ' },
      { kind: 'a byte-order mark', value: '\uFEFFa@example.com' },
    ];
    const fieldsByRoute: { name: RouteName; field: string }[] = [
      { name: 'register', field: 'userName' },
      { name: 'register', field: 'password' },
      { name: 'register', field: 'firstName' },
      { name: 'register', field: 'phoneNumber' },
      { name: 'login', field: 'userName' },
      { name: 'login', field: 'password' },
      { name: 'change', field: 'existingPassword' },
      { name: 'change', field: 'newPassword' },
      { name: 'change', field: 'concurrencyStamp' },
    ];
    const cases = fieldsByRoute.flatMap((entry) => oddStrings.map((odd) => ({ ...entry, ...odd })));

    it.each(cases)('should answer $name with $field containing $kind in the envelope, without a 5xx', async ({ name, field, value }) => {
      const spec = route(name);
      const { tenant, token } = await contextFor(spec);

      const reply = await sendTo(spec, { ...spec.validBody!(tenant), [field]: value }, { tenant, token });

      expectEnvelope(reply);
      expect(reply.text).not.toContain(tenant.password);
    });

    it('should answer register with unknown and prototype-polluting keys in the envelope', async () => {
      const spec = route('register');
      const body = JSON.stringify(spec.validBody!({} as TestTenant)).replace(
        /^\{/,
        '{"__proto__":{"isDisabled":true},"constructor":{"prototype":{"x":1}},"id":"00000000-0000-0000-0000-000000000000",',
      );

      const reply = await sendTo(spec, body);

      expectEnvelope(reply);
      if (reply.body.succeeded) expect(reply.body.data).not.toBe('00000000-0000-0000-0000-000000000000');
    });

    it('should answer a deeply nested JSON value with 400, not a 5xx', async () => {
      const spec = route('login');
      const depth = 7000;
      const body = `{"userName":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;

      const reply = await sendTo(spec, body);

      expectEnvelope(reply);
      expect(reply.status).toBe(400);
    });

    it('should answer the last of duplicated keys, without a 5xx', async () => {
      const { tenant } = await loggedIn();
      const body = `{"userName":"nobody@example.com","userName":${JSON.stringify(tenant.userName)},"password":${JSON.stringify(tenant.password)}}`;

      const reply = await sendTo(route('login'), body, { tenant });

      expectEnvelope(reply);
      expectSuccess(reply);
    });
  });

  describe('the nosniff header', () => {
    it('should be on every success response', async () => {
      const apiKey = await createApiKey();
      const registered = await call('/v1/register', { method: 'POST', apiKey, body: route('register').validBody!({} as TestTenant) });
      const tenant = await registerTenant({ apiKey });
      const loginReply = await call<{ token: string }>('/v1/login', {
        method: 'POST',
        apiKey,
        body: { userName: tenant.userName, password: tenant.password },
      });
      const token = expectSuccess(loginReply).token;
      const stamp = await call('/v1/tenant/profile/change-password/request', { apiKey, token });
      const loggedOut = await call('/v1/logout', { method: 'POST', apiKey, token });
      const openapi = await call('/openapi.json');

      for (const reply of [registered, loginReply, stamp, loggedOut, openapi]) {
        expect(reply.status).toBeLessThan(300);
        expect(reply.headers.get('X-Content-Type-Options')).toBe('nosniff');
      }
    });

    it('should be on every failure response', async () => {
      const replies = await Promise.all([
        call('/v1/register', { method: 'POST', body: {} }),
        call('/v1/login', { method: 'POST', apiKey: await createApiKey(), body: { userName: 'nobody@example.com', password: 'wrong password 1' } }),
        call('/v1/logout', { method: 'POST', apiKey: await createApiKey() }),
        call('/v1/tenant/profile/change-password/request', { apiKey: await createApiKey(), token: 'nope' }),
        call('/v1/tenant/profile/change-password', { method: 'PUT', body: {} }),
        call('/nowhere'),
        call('/v1/login', { method: 'GET' }),
      ]);

      for (const reply of replies) {
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expectEnvelope(reply);
      }
    });

    it('should be on the docs page', async () => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(new Request('http://api.test/docs'), env, ctx);
      await waitOnExecutionContext(ctx);
      await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    });
  });
});

describe('HEAD on the API', () => {
  it('should answer 405 on the stamp route instead of issuing a stamp nobody can read', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const stamp = await requestStamp(tenant, token);
    const ctx = createExecutionContext();
    const reply = await worker.fetch(
      new Request('http://api.test/v1/tenant/profile/change-password/request', {
        method: 'HEAD',
        headers: { 'X-API-Key': tenant.apiKey, 'X-Token': token },
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(reply.status).toBe(405);
    expect(reply.headers.get('Allow')).toBe('GET');
    const row = await env.DB.prepare('SELECT concurrency_stamp FROM tenants WHERE id = ?')
      .bind(tenant.id)
      .first<{ concurrency_stamp: string }>();
    expect(row?.concurrency_stamp).toBe(stamp);
  });
});

describe('OPTIONS on the API', () => {
  it('should answer a real CORS preflight (with Origin) with the CORS headers', async () => {
    const ctx = createExecutionContext();
    const reply = await worker.fetch(
      new Request('http://api.test/v1/login', {
        method: 'OPTIONS',
        headers: { Origin: 'https://portal.example.com', 'Access-Control-Request-Method': 'POST' },
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(reply.status).toBe(204);
    expect(reply.headers.get('Access-Control-Allow-Headers')).toMatch(/X-API-Key/i);
  });

  it.each([
    ['/v1/login', 405],
    ['/v1/nope', 404],
  ])('should answer OPTIONS %s without Origin with the %i envelope', async (path, status) => {
    const reply = await call(path, { method: 'OPTIONS' });
    expectFailure(reply, status, 'FAILED');
  });
});
