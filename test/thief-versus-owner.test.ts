import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { tenantSessions } from '../src/sessions/stub';
import { freshPassphrase, randomStamp, wrongPassword } from './support/builders';
import { rowCount } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1, faultyDurableObjects } from './support/faults';
import {
  changePassword,
  login,
  loginReply,
  loginWithDevice,
  registerTenant,
  requestStamp,
  stampReply,
  tenantReadyToChange,
  type TestTenant,
} from './support/tenants';

/*
 * The attacks the adversarial model (test/adversarial-model.test.ts) found, one at a time: a thief
 * combining what it holds never beats the owner, and never gets more guesses than the contract's budgets.
 */

const { maxFailedAttempts: MAX, failedAttemptWindowMs } = settingsFrom(env);
const sessionsOf = (tenant: TestTenant) => tenantSessions(env, tenant.business, tenant.id);
const withDevice = (deviceToken: string) => ({ headers: { 'X-Device-Token': deviceToken } });

/** Moves every failed-attempt window of the tenant's object one window into the past, as if it had gone by. */
async function letWindowPass(tenant: TestTenant): Promise<void> {
  await runInDurableObject(sessionsOf(tenant), (_instance, state) => {
    state.storage.sql.exec('UPDATE attempts SET window_started_at = window_started_at - ?', failedAttemptWindowMs + 1_000);
  });
}

describe('a stolen session against the owner’s change', () => {
  it("should answer the owner's correct change 200 while a stolen session's refused change died holding the stamp", async () => {
    const { tenant, token: owner, stamp, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    // The thief's request is admitted, refused by the policy, and never reports back to the object.
    const dying = envWith({ TENANT_SESSIONS: faultyDurableObjects(['finishChange']) });
    expectFailure(await changePassword(tenant, thief, body({ newPassword: 'a' }), { env: dying }), 400, 'INVALID_PARAM_NEW_PASSWORD');

    expect(expectSuccess(await changePassword(tenant, owner, body()))).toBe(tenant.id);
    expect(await requestStamp(tenant, owner)).not.toBe(stamp);
    expectFailure(await stampReply(tenant, thief), 401, 'UNAUTHORIZED');
  });

  it("should answer the owner's correct change 200 amid a burst of a stolen session's refused, stale and wrong changes", async () => {
    const { tenant, token: owner, stamp, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    const burst = Array.from({ length: 16 }, (_, i) =>
      changePassword(tenant, thief, [body({ newPassword: 'a' }), body({ concurrencyStamp: randomStamp() }), body({ existingPassword: wrongPassword() })][i % 3]),
    );

    const reply = await changePassword(tenant, owner, body());
    const thiefReplies = await Promise.all(burst);

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(thiefReplies.filter((r) => r.status === 200)).toEqual([]);
    expect(await requestStamp(tenant, owner)).not.toBe(stamp);
  });

  it("should count a session's wrong existing passwords over its whole life: no window renews them", async () => {
    const { tenant, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    for (let guess = 0; guess < MAX - 1; guess++) {
      expectFailure(await changePassword(tenant, thief, body({ existingPassword: wrongPassword() })), 400, 'MISMATCH_EXISTING_PASSWORD');
    }
    await letWindowPass(tenant);

    expectFailure(await changePassword(tenant, thief, body({ existingPassword: wrongPassword() })), 400, 'MISMATCH_EXISTING_PASSWORD');
    expectFailure(await changePassword(tenant, thief, body({ existingPassword: wrongPassword() })), 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await stampReply(tenant, thief), 401, 'UNAUTHORIZED');
  });

  it("should keep an uncertain change's claim when a retry with the same stamp comes after its hold, and settle it by alarm", async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const newPassword = freshPassphrase();
    const uncertain = envWith({
      DB: faultyD1({ failOn: /^update "tenants" set "password_hash"|^select "created_at" from "audit_events"/, afterCommit: true }),
    });
    expectFailure(await changePassword(tenant, token, body({ newPassword }), { env: uncertain }), 500, 'SOMETHING_WENT_WRONG');
    // The hold ends before the alarm has run; the client retries with the stamp it had.
    await runInDurableObject(sessionsOf(tenant), (_instance, state) => void state.storage.sql.exec('UPDATE claims SET held_until = 1'));

    expectFailure(await changePassword(tenant, token, body({ newPassword: freshPassphrase() })), 409, 'CHANGE_PASSWORD_FAILED');
    expect(await runDurableObjectAlarm(sessionsOf(tenant))).toBe(true);

    expectFailure(await stampReply(tenant, other), 401, 'UNAUTHORIZED');
    expectSuccess(await stampReply(tenant, token));
    await login(tenant, newPassword);
  });
});

describe('device tokens collected with an old password', () => {
  it('should give all the device tokens issued before a change one budget together, and the changing device its own', async () => {
    const tenant = await registerTenant();
    const owner = await loginWithDevice(tenant);
    const thiefDevices: string[] = [];
    for (let i = 0; i < 6; i++) thiefDevices.push((await loginWithDevice(tenant)).deviceToken);
    const oldPassword = tenant.password;
    const changed = { ...tenant, password: freshPassphrase() };
    const stamp = await requestStamp(tenant, owner.token);
    expectSuccess(await changePassword(tenant, owner.token, { existingPassword: oldPassword, newPassword: changed.password, concurrencyStamp: stamp }));

    const replies = [];
    for (const device of [...thiefDevices, ...thiefDevices]) replies.push(await loginReply(changed, { password: oldPassword, ...withDevice(device) }));

    expect(replies.filter((r) => r.body.status === 'INVALID_CREDENTIALS')).toHaveLength(MAX);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(2 * thiefDevices.length - MAX);
    // The device whose session made the change is not among them: the owner logs in.
    expect(expectSuccess(await loginReply(changed, withDevice(owner.deviceToken))).deviceToken).toBe(owner.deviceToken);
  });

  it("should carry what each token failed before the change in the window into the shared budget", async () => {
    const tenant = await registerTenant();
    const owner = await loginWithDevice(tenant);
    const first = (await loginWithDevice(tenant)).deviceToken;
    const second = (await loginWithDevice(tenant)).deviceToken;
    // Before the change each token has its own budget: MAX - 2 wrong guesses with one, 1 with the other.
    for (let guess = 0; guess < MAX - 2; guess++) {
      expectFailure(await loginReply(tenant, { password: wrongPassword(), ...withDevice(first) }), 401, 'INVALID_CREDENTIALS');
    }
    expectFailure(await loginReply(tenant, { password: wrongPassword(), ...withDevice(second) }), 401, 'INVALID_CREDENTIALS');
    const changed = { ...tenant, password: freshPassphrase() };
    const stamp = await requestStamp(tenant, owner.token);
    expectSuccess(await changePassword(tenant, owner.token, { existingPassword: tenant.password, newPassword: changed.password, concurrencyStamp: stamp }));

    // In the same window, the two tokens together have one guess left, however it is asked for.
    const replies = await Promise.all([first, second, first, second].map((device) => loginReply(changed, { password: tenant.password, ...withDevice(device) })));
    expect(replies.filter((r) => r.body.status === 'INVALID_CREDENTIALS')).toHaveLength(1);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(3);
    expect(expectSuccess(await loginReply(changed, withDevice(owner.deviceToken))).deviceToken).toBe(owner.deviceToken);
  });

  it('should give a device from before the change its own budget again once it logged in with the new password', async () => {
    const tenant = await registerTenant();
    const laptop = await loginWithDevice(tenant);
    const phone = await loginWithDevice(tenant);
    const thief = await loginWithDevice(tenant);
    const changed = { ...tenant, password: freshPassphrase() };
    const stamp = await requestStamp(tenant, laptop.token);
    expectSuccess(await changePassword(tenant, laptop.token, { existingPassword: tenant.password, newPassword: changed.password, concurrencyStamp: stamp }));
    expectSuccess(await loginReply(changed, withDevice(phone.deviceToken)));

    for (let guess = 0; guess < MAX; guess++) {
      expectFailure(await loginReply(changed, { password: tenant.password, ...withDevice(thief.deviceToken) }), 401, 'INVALID_CREDENTIALS');
    }
    expectFailure(await loginReply(changed, { password: tenant.password, ...withDevice(thief.deviceToken) }), 429, 'TOO_MANY_ATTEMPTS');

    expectSuccess(await loginReply(changed, withDevice(phone.deviceToken)));
    expectSuccess(await loginReply(changed, withDevice(laptop.deviceToken)));
  });
});

describe('a failed check whose audit row D1 does not take', () => {
  const auditFails = () => envWith({ DB: faultyD1({ failOn: /^insert into "audit_events"/ }) });

  it('should answer a failed login INVALID_CREDENTIALS and count it, with no audit row', async () => {
    const tenant = await registerTenant();
    for (let guess = 0; guess < MAX; guess++) {
      expectFailure(await loginReply(tenant, { password: wrongPassword(), env: auditFails() }), 401, 'INVALID_CREDENTIALS');
    }
    expectFailure(await loginReply(tenant, { password: wrongPassword(), env: auditFails() }), 429, 'TOO_MANY_ATTEMPTS');
    expect(await rowCount('audit_events', tenant.id, "event = 'login'")).toBe(0);
  });

  it('should answer a wrong existing password MISMATCH_EXISTING_PASSWORD and count it against the session', async () => {
    const { tenant, body } = await tenantReadyToChange();
    const thief = await login(tenant);
    for (let guess = 0; guess < MAX; guess++) {
      const reply = await changePassword(tenant, thief, body({ existingPassword: wrongPassword() }), { env: auditFails() });
      expectFailure(reply, 400, 'MISMATCH_EXISTING_PASSWORD');
    }
    expectFailure(await changePassword(tenant, thief, body({ existingPassword: wrongPassword() })), 429, 'TOO_MANY_ATTEMPTS');
  });
});
