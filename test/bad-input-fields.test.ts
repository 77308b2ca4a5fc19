import { describe, expect, it } from 'vitest';
import { loginBody, registerBody, unknownUserName } from './support/builders';
import { callerFor, loggedIn, sendTo } from './support/callers';
import { expectFailure, expectHandled, expectSuccess } from './support/envelope';
import { ALL_ROUTES, ROUTES, SESSION_ROUTES, type RouteName } from './support/routes';

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
    { name: 'reset', field: 'resetToken', code: 'INVALID_PARAM_RESET_TOKEN' },
    { name: 'reset', field: 'newPassword', code: 'INVALID_PARAM_NEW_PASSWORD' },
  ];
  const cases = fields.flatMap((entry) =>
    wrongValues.filter(({ value }) => !(entry.nullable && value === null)).map(({ kind, value }) => ({ ...entry, kind, value })),
  );

  it.each(cases)('should answer 400 $code on $name when $field is $kind', async ({ name, field, code, value }) => {
    const route = ROUTES[name];
    const caller = await callerFor(route);

    const reply = await sendTo(route, { ...route.validBody!(caller.tenant), [field]: value }, { caller });

    const error = expectFailure(reply, 400, code);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(reply.body.errors).toHaveLength(1);
  });

  it('should answer the register phoneNumber null as absent', async () => {
    const reply = await sendTo(ROUTES.register, registerBody({ phoneNumber: null }));

    expectSuccess(reply, 201);
  });

  it('should report every wrongly typed field of one body', async () => {
    const reply = await sendTo(ROUTES.change, { existingPassword: 1, newPassword: false, concurrencyStamp: {} });

    expectFailure(reply, 400, 'INVALID_PARAM_EXISTING_PASSWORD');
    expect(reply.body.errors!.map((error) => error.code)).toEqual([
      'INVALID_PARAM_EXISTING_PASSWORD',
      'INVALID_PARAM_NEW_PASSWORD',
      'INVALID_PARAM_CONCURRENCY_STAMP',
    ]);
  });
});

describe('oversized credential headers', () => {
  const eachRoute = ALL_ROUTES.map((route) => ({ name: route.name, route }));

  it.each(eachRoute)('should answer 401 UNAUTHORIZED on $name for an X-API-Key of 10,000 characters', async ({ route }) => {
    const caller = await callerFor(route);

    const reply = await sendTo(route, route.validBody?.(caller.tenant), { caller, apiKey: 'k'.repeat(10_000), token: caller.token });

    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it.each(eachRoute)('should answer 401 UNAUTHORIZED on $name for a valid key followed by 10,000 characters', async ({ route }) => {
    const caller = await callerFor(route);

    const reply = await sendTo(route, route.validBody?.(caller.tenant), {
      caller,
      apiKey: caller.tenant.apiKey + 'k'.repeat(10_000),
      token: caller.token,
    });

    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it.each(SESSION_ROUTES.map((route) => ({ name: route.name, route })))(
    'should answer 401 UNAUTHORIZED on $name for an X-Token of 10,000 characters',
    async ({ route }) => {
      const caller = await loggedIn();

      const reply = await sendTo(route, route.validBody?.(caller.tenant), {
        caller,
        token: caller.token + 'A'.repeat(10_000 - caller.token.length),
      });

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
  const fieldsByRoute: Partial<Record<RouteName, string[]>> = {
    register: ['userName', 'password', 'firstName', 'phoneNumber'],
    login: ['userName', 'password'],
    change: ['existingPassword', 'newPassword', 'concurrencyStamp'],
    reset: ['resetToken', 'newPassword'],
  };
  const cases = Object.entries(fieldsByRoute).flatMap(([name, fields]) =>
    fields.flatMap((field) => oddStrings.map((odd) => ({ name: name as RouteName, field, ...odd }))),
  );

  it.each(cases)('should answer $name with $field containing $kind in the envelope, without a 5xx', async ({ name, field, value }) => {
    const route = ROUTES[name];
    const caller = await callerFor(route);

    const reply = await sendTo(route, { ...route.validBody!(caller.tenant), [field]: value }, { caller });

    expectHandled(reply);
    expect(reply.text).not.toContain(caller.tenant.password);
  });

  it('should answer register with unknown and prototype-polluting keys in the envelope', async () => {
    const body = JSON.stringify(registerBody({ phoneNumber: '+15551234567' })).replace(
      /^\{/,
      '{"__proto__":{"isDisabled":true},"constructor":{"prototype":{"x":1}},"id":"00000000-0000-0000-0000-000000000000",',
    );

    const reply = await sendTo(ROUTES.register, body);

    expectHandled(reply);
    if (reply.body.succeeded) expect(reply.body.data).not.toBe('00000000-0000-0000-0000-000000000000');
  });

  it('should answer a deeply nested JSON value with 400, not a 5xx', async () => {
    const depth = 7000;
    const body = `{"userName":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;

    const reply = await sendTo(ROUTES.login, body);

    expectHandled(reply);
    expect(reply.status).toBe(400);
  });

  it('should answer the last of duplicated keys, without a 5xx', async () => {
    const caller = await loggedIn();
    const body = JSON.stringify(loginBody(caller.tenant)).replace(/^\{/, `{"userName":${JSON.stringify(unknownUserName())},`);

    const reply = await sendTo(ROUTES.login, body, { caller });

    expectSuccess(reply);
  });
});
