import { describe, expect, it } from 'vitest';
import { registerBody } from './support/builders';
import { callerFor, sendTo } from './support/callers';
import { expectFailure, expectSuccess } from './support/envelope';
import { BODY_ROUTES, ROUTES, type Route } from './support/routes';

/** Each route that reads a body, with a case of its own: the table rows of every test below. */
const eachBodyRoute = <T extends object>(cases: T[]) => BODY_ROUTES.flatMap((route) => cases.map((entry) => ({ name: route.name, route, ...entry })));
const bodyRoutes = eachBodyRoute([{}]);

describe('bodies that are not JSON', () => {
  const notJson = ['{', '{"userName": }', 'not json', "{'userName': 'a@b.co'}", '{"a":1,}', '', '\u0000\u0001\u0002', '{"a":"\\x41"}'];

  it.each(eachBodyRoute(notJson.map((body) => ({ body, shown: JSON.stringify(body) }))))(
    'should answer 400 FAILED on $name for the body $shown',
    async ({ route, body }) => {
      const reply = await sendTo(route, body, { contentType: 'application/json' });

      const error = expectFailure(reply, 400, 'FAILED');
      expect(error.field).toBeUndefined();
    },
  );

  it.each(bodyRoutes)('should answer 400 FAILED on $name for bytes that are not UTF-8', async ({ route }) => {
    const reply = await sendTo(route, new Uint8Array([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]));

    expectFailure(reply, 400, 'FAILED');
  });
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

  it.each(eachBodyRoute(contentTypes.map((contentType) => ({ contentType }))))(
    'should answer 415 FAILED on $name for Content-Type $contentType',
    async ({ route, contentType }) => {
      const caller = await callerFor(route);

      const reply = await sendTo(route, JSON.stringify(route.validBody!(caller.tenant)), { caller, contentType });

      const error = expectFailure(reply, 415, 'FAILED');
      expect(error.message).toContain('application/json');
    },
  );

  it.each(bodyRoutes)('should answer 415 FAILED on $name when the body carries no Content-Type', async ({ route }) => {
    const caller = await callerFor(route);
    const body = new TextEncoder().encode(JSON.stringify(route.validBody!(caller.tenant)));

    const reply = await sendTo(route, body, { caller, contentType: null });

    expectFailure(reply, 415, 'FAILED');
  });

  it.each(['application/json; charset=utf-8', 'APPLICATION/JSON', 'Application/Json;charset=UTF-8'])(
    'should accept the Content-Type %s',
    async (contentType) => {
      const reply = await sendTo(ROUTES.register, JSON.stringify(registerBody({ phoneNumber: '+15551234567' })), { contentType });

      expectSuccess(reply, 201);
    },
  );
});

/** 16 KiB, except on the one route that takes more (the import of tenants, 1 MiB). */
const limitOf = (route: Route) => route.maxBodyBytes ?? 16 * 1024;
const limitedRoutes = BODY_ROUTES.map((route) => ({ name: route.name, route, limit: limitOf(route) }));

describe('bodies over the limit (16 KiB on every route but the import)', () => {
  it.each(limitedRoutes)('should answer 413 FAILED on $name for a JSON body over $limit bytes', async ({ route, limit }) => {
    const caller = await callerFor(route);
    const body = { ...route.validBody!(caller.tenant), padding: 'x'.repeat(limit + 1024) };

    const reply = await sendTo(route, body, { caller });

    const error = expectFailure(reply, 413, 'FAILED');
    expect(error.message).toContain(String(limit));
  });

  it.each(limitedRoutes)('should answer 413 FAILED on $name for a body over $limit bytes that is not even JSON', async ({ route, limit }) => {
    expectFailure(await sendTo(route, 'y'.repeat(Math.max(limit + 1, 1024 * 1024))), 413, 'FAILED');
  });

  it.each(limitedRoutes)('should answer 413 FAILED on $name for a streamed body over $limit bytes without Content-Length', async ({ route, limit }) => {
    const caller = await callerFor(route);
    const chunk = new TextEncoder().encode(' '.repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= limit / 4096 + 1) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify(route.validBody!(caller.tenant))));
          controller.close();
          return;
        }
        sent++;
        controller.enqueue(chunk);
      },
    });

    expectFailure(await sendTo(route, stream, { caller }), 413, 'FAILED');
  });
});

describe('JSON that is not an object', () => {
  const values = ['[]', '[{"userName":"a@b.co"}]', '42', '-1.5e308', 'null', '"a string"', 'true', '{}[]'];

  it.each(eachBodyRoute(values.map((body) => ({ body }))))('should answer 400 on $name for the JSON $body', async ({ route, body }) => {
    const error = expectFailure(await sendTo(route, body), 400, 'FAILED');
    expect(error.field).toBeUndefined();
  });
});
