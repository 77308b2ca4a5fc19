import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { aroundStoreCalls } from '../bench/distance';
import { SESSIONS_CLOSED_MEMORY_MS } from '../src/config';
import { loginThrottle, tenantSessions } from '../src/sessions/stub';
import { freshPassphrase, randomStamp, wrongPassword } from './support/builders';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1, faultyDurableObjects, pausedDurableObjects } from './support/faults';
import { adminCall, administeredTenant, deleteTenant, disableTenant, sessionReply } from './support/admin';
import { ADMIN_ROUTES } from './support/routes';
import { recordingStoreCalls } from './support/store-calls';
import { outboxRowsOf } from './support/webhooks';
import {
  changePassword,
  createApiKey,
  login,
  loginReply,
  loginWithDevice,
  stampReply,
  uniqueBusiness,
  type TestTenant,
} from './support/tenants';
import { registerEndpoint, receiverUrl } from './support/webhooks';

type Stub = DurableObjectStub<import('../src/sessions/tenant-sessions').TenantSessions>;

const eachAdminRoute = ADMIN_ROUTES.map((route) => ({ name: route.name, route }));

/** Every row of every table of the object (its schema's bookkeeping aside), and its key-value keys. */
function contentsOf(stub: Stub) {
  return runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
      .toArray()
      .map((row) => row.name);
    const rows = tables.flatMap((table) => state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray().map((row) => ({ table, row })));
    return { rows, kv: [...state.storage.kv.list()].map(([key]) => key) };
  });
}

/** Asserts D1 and both Durable Objects hold nothing of the tenant but the deletion's own records. */
async function expectNothingLeftOf(tenant: TestTenant, options: { racedChange?: boolean } = {}) {
  expect(await tenantRow(tenant.id)).toBeNull();
  expect(await rowCount('password_history', tenant.id)).toBe(0);
  expect((await outboxRowsOf(tenant.id)).map((row) => row.type)).toEqual(['tenant.deleted']);
  // The tenant's object keeps only the mark refusing new sessions; the login object keeps nothing.
  expect(await contentsOf(tenantSessions(env, tenant.business, tenant.id))).toEqual({ rows: [], kv: ['sessionsClosed'] });
  const login = await contentsOf(loginThrottle(env, tenant.business, tenant.userName));
  // A change that committed before the delete tells the login object its facts (ids and times) when it
  // settles, which can be after the erase; a new tenant's registration or login replaces them, and
  // they expire with SESSION_TTL_MINUTES. Counters and device tokens never come back.
  expect(login).toEqual({ rows: [], kv: options.racedChange ? login.kv.filter((key) => key === 'tenant') : [] });
}

describe('a publishable key on tenant administration', () => {
  it.each(eachAdminRoute)('should answer 403 KEY_NOT_ALLOWED on $name before any store is asked', async ({ route }) => {
    const { tenant } = await administeredTenant();
    const token = await login(tenant);
    const { bindings, calls } = recordingStoreCalls();

    expectFailure(await adminCall(route, tenant, tenant.apiKey, { env: bindings }), 403, 'KEY_NOT_ALLOWED');

    expect(calls).toEqual([]);
    expectSuccess(await stampReply(tenant, token));
    expect((await tenantRow(tenant.id))!.is_disabled).toBe(0);
  });

  it.each(eachAdminRoute)('should answer 403 on $name even for a malformed tenant id', async ({ route }) => {
    const { tenant } = await administeredTenant();

    expectFailure(await adminCall(route, { id: 'nope', userName: 'nope' }, tenant.apiKey), 403, 'KEY_NOT_ALLOWED');
  });
});

describe("another business's server key on tenant administration", () => {
  it.each(eachAdminRoute)('should answer $name with 404 exactly as for an id nobody has, and touch no Durable Object', async ({ route }) => {
    const { tenant } = await administeredTenant();
    const token = await login(tenant);
    const otherBusiness = uniqueBusiness();
    await registerEndpoint(otherBusiness, receiverUrl());
    const otherKey = await createApiKey({ business: otherBusiness, kind: 'server' });
    const { bindings, calls } = recordingStoreCalls();

    const foreign = await adminCall(route, tenant, otherKey, { env: bindings });
    const missing = await adminCall(route, { id: randomStamp(), userName: `nobody-${crypto.randomUUID()}@example.com` }, otherKey);

    expectFailure(foreign, 404, 'NO_RECORDS_FOUND');
    expect(foreign.text).toBe(missing.text);
    expect(calls.filter((call) => call.startsWith('durableObject:'))).toEqual([]);
    expectSuccess(await stampReply(tenant, token));
    expect((await tenantRow(tenant.id))!.is_disabled).toBe(0);
    expect(await outboxRowsOf(tenant.id)).toEqual([]);
  });
});

describe('a disable racing logins', () => {
  it('should give a login that read the tenant before the disable no session', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const paused = pausedDurableObjects('createSession');
    // The login read the tenant (enabled) and verified the password; it waits at the tenant's object.
    const racingLogin = loginReply(tenant, { env: envWith({ TENANT_SESSIONS: paused.namespace }) });
    await paused.reached;

    expectSuccess(await disableTenant(tenant, serverKey));
    paused.release();

    expectFailure(await racingLogin, 401, 'INVALID_CREDENTIALS');
    const sessions = await runInDurableObject(tenantSessions(env, tenant.business, tenant.id), (_instance, state) =>
      state.storage.sql.exec('SELECT id FROM sessions').toArray(),
    );
    expect(sessions).toEqual([]);
  });

  it('should leave no session alive of any login fired together with the disable', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    const logins = Array.from({ length: 6 }, (_, i) =>
      loginReply(tenant, i % 2 === 0 ? { headers: { 'X-Device-Token': deviceToken } } : {}),
    );

    const [disabled, ...replies] = await Promise.all([disableTenant(tenant, serverKey), ...logins]);

    expectSuccess(disabled);
    for (const reply of replies) {
      if (reply.status !== 200) {
        expectFailure(reply, 401, 'INVALID_CREDENTIALS');
        continue;
      }
      expectFailure(await stampReply(tenant, reply.body.data.token), 401, 'UNAUTHORIZED');
      expectFailure(await sessionReply(tenant.apiKey, reply.body.data.token), 401, 'UNAUTHORIZED');
    }
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
  });
});

/** Bindings that hold the first D1 call matching `held` until `release()`; `reached` resolves when it arrives. */
function heldD1(held: RegExp) {
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let holding = true;
  const bindings = aroundStoreCalls(env, async (call, run) => {
    if (holding && call.store === 'd1' && held.test(call.name)) {
      holding = false;
      arrived();
      await released;
    }
    return run();
  });
  return { bindings, reached, release };
}

describe('a delete racing a password change', () => {
  it('should leave nothing of the tenant when the change commits first and settles after the delete', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    const stamp = expectSuccess(await stampReply(tenant, token));
    const paused = pausedDurableObjects('finishChange');
    const body = { existingPassword: tenant.password, newPassword: freshPassphrase(), concurrencyStamp: stamp };
    const change = changePassword(tenant, token, body, { env: envWith({ TENANT_SESSIONS: paused.namespace }) });
    await paused.reached;

    expectSuccess(await deleteTenant(tenant, serverKey));
    paused.release();

    expectSuccess(await change);
    await expectNothingLeftOf(tenant, { racedChange: true });
  });

  it('should refuse a change whose commit comes after the delete, writing nothing', async () => {
    const { business, tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    const stamp = expectSuccess(await stampReply(tenant, token));
    const held = heldD1(/^update "tenants" set "password_hash"/);
    const change = changePassword(tenant, token, { existingPassword: tenant.password, newPassword: freshPassphrase(), concurrencyStamp: stamp }, { env: held.bindings });
    await held.reached;

    expectSuccess(await deleteTenant(tenant, serverKey));
    held.release();

    expectFailure(await change, 409, 'CHANGE_PASSWORD_FAILED');
    await expectNothingLeftOf({ ...tenant, business });
  });

  it('should end in one consistent state when both are fired together', async () => {
    const { business, tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    const stamp = expectSuccess(await stampReply(tenant, token));

    const [change, deleted] = await Promise.all([
      changePassword(tenant, token, { existingPassword: tenant.password, newPassword: freshPassphrase(), concurrencyStamp: stamp }),
      deleteTenant(tenant, serverKey),
    ]);

    expectSuccess(deleted);
    expect([200, 401, 404, 409]).toContain(change.status);
    await expectNothingLeftOf({ ...tenant, business }, { racedChange: true });
  });
});

describe("a deleted tenant's Durable Objects", () => {
  it('should hold nothing of the tenant, and nothing at all once the alarm forgot the mark', async () => {
    const { tenant, serverKey } = await administeredTenant();
    await loginWithDevice(tenant);
    await login(tenant);
    await loginReply(tenant, { password: wrongPassword() });
    const stub = tenantSessions(env, tenant.business, tenant.id);

    expectSuccess(await deleteTenant(tenant, serverKey));

    await expectNothingLeftOf(tenant);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.kv.put('sessionsClosed', { reason: 'erased', at: Date.now() - SESSIONS_CLOSED_MEMORY_MS - 1 });
    });
    await runDurableObjectAlarm(stub);
    expect(await contentsOf(stub)).toEqual({ rows: [], kv: [] });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeNull();
  });
});

describe('a store failing during a disable or a delete', () => {
  it('should leave D1 untouched when the Durable Object fails at a disable, and the retry should complete it', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);

    expectFailure(await disableTenant(tenant, serverKey, { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['closeForDisable']) }) }), 500, 'SOMETHING_WENT_WRONG');

    expect((await tenantRow(tenant.id))!.is_disabled).toBe(0);
    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expectSuccess(await stampReply(tenant, token));
    expectSuccess(await disableTenant(tenant, serverKey));
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
  });

  it('should keep the sessions closed when D1 fails at a disable, record no event, and the retry records one', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);

    const failed = await disableTenant(tenant, serverKey, { env: envWith({ DB: faultyD1({ failOn: /update "tenants" set "is_disabled"/ }) }) });

    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');
    expect((await tenantRow(tenant.id))!.is_disabled).toBe(0);
    expect(await outboxRowsOf(tenant.id)).toEqual([]);
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');

    expectSuccess(await disableTenant(tenant, serverKey));
    expect((await tenantRow(tenant.id))!.is_disabled).toBe(1);
    expect((await outboxRowsOf(tenant.id)).map((row) => row.type)).toEqual(['tenant.disabled']);
  });

  it('should leave D1 whole when its delete batch fails, the tenant unable to log in, and the retry should erase it', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    expectSuccess(await disableTenant(tenant, serverKey));
    const before = await tenantRow(tenant.id);

    const failed = await deleteTenant(tenant, serverKey, { env: envWith({ DB: faultyD1({ failOn: /delete from "tenants"/ }) }) });

    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');
    expect(await tenantRow(tenant.id)).toEqual(before);
    expect((await outboxRowsOf(tenant.id)).map((row) => row.type)).toEqual(['tenant.disabled']);
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');

    expectSuccess(await deleteTenant(tenant, serverKey));
    await expectNothingLeftOf(tenant);
  });

  it('should leave everything as it was when a Durable Object fails at a delete', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);

    const failed = await deleteTenant(tenant, serverKey, { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['erase'], 1) }) });

    expectFailure(failed, 500, 'SOMETHING_WENT_WRONG');
    expect(await tenantRow(tenant.id)).not.toBeNull();
    expectSuccess(await deleteTenant(tenant, serverKey));
    await expectNothingLeftOf(tenant);
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
  });
});
