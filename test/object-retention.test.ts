import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { loginThrottle, tenantSessions } from '../src/sessions/stub';
import { freshPassphrase, unknownUserName, wrongPassword } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import { callLogin, changePassword, createApiKey, login, logoutReply, registerTenant, stampReply, tenantReadyToChange } from './support/tenants';

// Issue 18 (finding 6) and issue 20 (item 3): a Durable Object keeps storage only while it holds
// something. Time is moved as elsewhere in the suite: by rewriting the object's own timestamps.

const { sessionTtlMs } = settingsFrom(env);

type Stub = DurableObjectStub<import('../src/sessions/tenant-sessions').TenantSessions>;

/** What the object stores: its tables with their row counts, its key-value entries and its alarm. */
function storageOf(stub: Stub) {
  return runInDurableObject(stub, async (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\'")
      .toArray()
      .map((row) => row.name);
    const rows = Object.fromEntries(tables.map((table) => [table, state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray().length]));
    return { rows, kv: [...state.storage.kv.list()].map(([key]) => key), alarm: await state.storage.getAlarm() };
  });
}

/** Ages every counter of the object, and every check in flight, past any window, lockout and hold. */
function ageCounters(stub: Stub) {
  return runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec('UPDATE attempts SET window_started_at = 0, locked_until = 0');
    state.storage.sql.exec('UPDATE checks SET held_until = 0');
  });
}

describe("a Durable Object's storage", () => {
  it('should be deleted, alarm included, once the counters of a login for a made-up user name expire', async () => {
    const apiKey = await createApiKey();
    const userName = unknownUserName();
    expectFailure(await callLogin({ userName, password: wrongPassword() }, { apiKey }), 401, 'INVALID_CREDENTIALS');
    const stub = loginThrottle(env, 'default', userName);
    expect((await storageOf(stub)).rows.attempts).toBe(1);

    await ageCounters(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await storageOf(stub)).toEqual({ rows: {}, kv: [], alarm: null });
  });

  it('should be made again, with an alarm, when the object is used after deleting it', async () => {
    const apiKey = await createApiKey();
    const userName = unknownUserName();
    expectFailure(await callLogin({ userName, password: wrongPassword() }, { apiKey }), 401, 'INVALID_CREDENTIALS');
    const stub = loginThrottle(env, 'default', userName);
    await ageCounters(stub);
    await runDurableObjectAlarm(stub);

    expectFailure(await callLogin({ userName, password: wrongPassword() }, { apiKey }), 401, 'INVALID_CREDENTIALS');

    const after = await storageOf(stub);
    expect(after.rows.attempts).toBe(1);
    expect(after.alarm).toEqual(expect.any(Number));
  });

  it('should be deleted for an object a request created and left empty, by the alarm it gets at creation', async () => {
    // What a made-up tenant id used to create before tokens were signed: an object asked about a session it never had.
    const stub = tenantSessions(env, 'default', crypto.randomUUID().toUpperCase());
    expect(await stub.validateSession({ sessionId: '0'.repeat(32), secretHash: 'x', business: 'default' })).toBe('absent');
    expect((await storageOf(stub)).alarm).toEqual(expect.any(Number));

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await storageOf(stub)).toEqual({ rows: {}, kv: [], alarm: null });
  });

  it("should keep a tenant's live session, and the user's device tokens, through the alarm", async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const sessionsStub = tenantSessions(env, tenant.business, tenant.id);
    const loginStub = loginThrottle(env, tenant.business, tenant.userName);
    await ageCounters(loginStub);

    expect(await runDurableObjectAlarm(sessionsStub)).toBe(true);
    expect(await runDurableObjectAlarm(loginStub)).toBe(true);

    expect((await storageOf(sessionsStub)).rows.sessions).toBe(1);
    expect((await storageOf(loginStub)).rows.devices).toBe(1);
    expect((await storageOf(sessionsStub)).alarm).toEqual(expect.any(Number));
    expectSuccess(await stampReply(tenant, token));
  });

  it('should keep the credential generation of a change for a session lifetime, and why the sessions ended for their memory, then delete the object once nothing else is left', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));
    expectSuccess(await logoutReply(tenant, token));
    const stub = tenantSessions(env, tenant.business, tenant.id);

    await runDurableObjectAlarm(stub);
    const kept = await storageOf(stub);
    expect(kept.kv).toEqual(['passwordChangedAt']);
    expect(kept.rows.ended_sessions).toBe(1);
    expect(kept.alarm).toEqual(expect.any(Number));

    await runInDurableObject(stub, (_instance, state) => state.storage.kv.put('passwordChangedAt', Date.now() - sessionTtlMs - 1));
    await runDurableObjectAlarm(stub);
    expect((await storageOf(stub)).rows.ended_sessions).toBe(1);

    await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec('UPDATE ended_sessions SET forget_at = ?', Date.now() - 1));
    await runDurableObjectAlarm(stub);

    expect(await storageOf(stub)).toEqual({ rows: {}, kv: [], alarm: null });
    // The tenant logs in again with the new password, and the object starts afresh.
    const again = await login({ ...tenant, password: newPassword });
    expectSuccess(await stampReply(tenant, again));
  });
});
