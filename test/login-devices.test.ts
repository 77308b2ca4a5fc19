import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { loginThrottle } from '../src/sessions/stub';
import { changeBody, freshPassphrase, unknownUserName, wrongPassword } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import { changePassword, login, loginReply, loginWithDevice, registerTenant, requestStamp, type TestTenant } from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;
const DEVICE_TOKEN = /^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/;

const withDevice = (deviceToken: string) => ({ headers: { 'X-Device-Token': deviceToken } });

/** Wrong passwords from clients without a device token, until the untrusted clients are locked out. */
async function lockOutUntrusted(tenant: TestTenant): Promise<void> {
  for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
    expectFailure(await loginReply(tenant, { password: wrongPassword() }), 401, 'INVALID_CREDENTIALS');
  }
  expectFailure(await loginReply(tenant, { password: wrongPassword() }), 429, 'TOO_MANY_ATTEMPTS');
}

/** Replaces the untrusted clients' checks in flight by `count` held until `heldUntil`, as if their requests had died. */
async function holdChecks(tenant: TestTenant, count: number, heldUntil: number): Promise<void> {
  await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => {
    state.storage.sql.exec("DELETE FROM checks WHERE scope = 'untrusted'");
    for (let i = 0; i < count; i++) {
      state.storage.sql.exec("INSERT INTO checks (id, scope, held_until) VALUES (?, 'untrusted', ?)", crypto.randomUUID(), heldUntil);
    }
  });
}

/** Makes the untrusted clients' lockout the long one: as if it had doubled up to the 24-hour ceiling. */
async function stretchUntrustedLockout(tenant: TestTenant): Promise<void> {
  await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => {
    state.storage.sql.exec("UPDATE attempts SET locked_until = ?, lockouts = 7 WHERE scope = 'untrusted'", Date.now() + 86_400_000);
  });
}

describe('POST /v1/login, device tokens', () => {
  it('should answer a device token with every login, and the same one to a device that presents it', async () => {
    const tenant = await registerTenant();

    const first = await loginWithDevice(tenant);
    const again = await loginWithDevice(tenant, first.deviceToken);
    const elsewhere = await loginWithDevice(tenant);

    expect(first.deviceToken).toMatch(DEVICE_TOKEN);
    expect(again.deviceToken).toBe(first.deviceToken);
    expect(elsewhere.deviceToken).not.toBe(first.deviceToken);
  });

  it("should let the owner's known device log in while other clients are locked out for 24 hours", async () => {
    const owner = await registerTenant();
    const { deviceToken } = await loginWithDevice(owner);
    await lockOutUntrusted(owner);
    await stretchUntrustedLockout(owner);

    const fromOwner = await loginReply(owner, withDevice(deviceToken));
    const fromAttacker = await loginReply(owner);

    expect(expectSuccess(fromOwner).authContactBookInfo.id).toBe(owner.id);
    expectFailure(fromAttacker, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(fromAttacker.headers.get('Retry-After'))).toBeGreaterThan(86_000);
  });

  it('should count wrong passwords of a known device against that device alone', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    for (let attempt = 0; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expectFailure(await loginReply(tenant, { password: wrongPassword(), ...withDevice(deviceToken) }), 401, 'INVALID_CREDENTIALS');
    }

    const fromDevice = await loginReply(tenant, withDevice(deviceToken));
    const fromAnotherClient = await loginReply(tenant);

    expectFailure(fromDevice, 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(fromAnotherClient);
  });

  it.each([
    { case: 'malformed', token: () => 'not-a-device-token' },
    { case: 'well formed but never issued', token: () => `${'ab'.repeat(16)}.${'A'.repeat(43)}` },
  ])('should treat a $case device token as none, without an error', async ({ token }) => {
    const tenant = await registerTenant();
    await lockOutUntrusted(tenant);

    expectFailure(await loginReply(tenant, withDevice(token())), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should treat a device token with a wrong secret as none', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    await lockOutUntrusted(tenant);
    const forged = `${deviceToken.slice(0, -4)}AAAA`;

    expectFailure(await loginReply(tenant, withDevice(forged)), 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(await loginReply(tenant, withDevice(deviceToken)));
  });

  it('should treat an expired device token as none, and issue a new one', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => {
      state.storage.sql.exec('UPDATE devices SET expires_at = ?', Date.now() - 1);
    });

    const renewed = await loginWithDevice(tenant, deviceToken);
    await lockOutUntrusted(tenant);

    expect(renewed.deviceToken).not.toBe(deviceToken);
    expectFailure(await loginReply(tenant, withDevice(deviceToken)), 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(await loginReply(tenant, withDevice(renewed.deviceToken)));
  });

  // A change must not demote the owner's devices: they would then share the untrusted counter, which
  // anyone with a key can lock, and spend the key and address's spraying budget.
  it("should keep the owner's device known after a password change, so a lockout from other clients never refuses it", async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    const token = await login(tenant);
    const changed = { ...tenant, password: freshPassphrase() };
    const body = changeBody(tenant.password, await requestStamp(tenant, token), { newPassword: changed.password });
    expectSuccess(await changePassword(tenant, token, body));

    await lockOutUntrusted(changed);

    expectFailure(await loginReply(changed), 429, 'TOO_MANY_ATTEMPTS');
    const owner = await loginReply(changed, withDevice(deviceToken));
    expect(expectSuccess(owner).deviceToken).toBe(deviceToken);
  });

  it('should open nothing for user Y with the device token of user X', async () => {
    const x = await registerTenant();
    const y = await registerTenant({ apiKey: x.apiKey });
    const { deviceToken } = await loginWithDevice(x);
    await lockOutUntrusted(y);

    expectFailure(await loginReply(y, withDevice(deviceToken)), 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await loginReply({ ...y, password: x.password }, withDevice(deviceToken)), 429, 'TOO_MANY_ATTEMPTS');
    expect((await loginWithDevice(x, deviceToken)).deviceToken).toBe(deviceToken);
  });

  it('should answer a device token presented for an unknown user exactly as for a wrong password', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);

    const unknown = await loginReply({ ...tenant, userName: unknownUserName() }, { password: wrongPassword(), ...withDevice(deviceToken) });
    const wrong = await loginReply(tenant, { password: wrongPassword(), ...withDevice(deviceToken) });

    expectFailure(unknown, 401, 'INVALID_CREDENTIALS');
    expect(unknown.text).toBe(wrong.text);
  });
});

describe('POST /v1/login, concurrently', () => {
  it('should let 8 concurrent logins with the correct password all succeed', async () => {
    const tenant = await registerTenant();

    const replies = await Promise.all(Array.from({ length: 8 }, () => loginReply(tenant)));

    for (const reply of replies) expect(expectSuccess(reply).authContactBookInfo.id).toBe(tenant.id);
    await login(tenant);
  });

  it('should let at most 5 of 10 concurrent wrong logins reach the password check, refusing the rest with Retry-After', async () => {
    const tenant = await registerTenant();
    let replies: Awaited<ReturnType<typeof loginReply>>[] = [];

    const derivations = await derivationsDuring(async () => {
      replies = await Promise.all(Array.from({ length: 10 }, () => loginReply(tenant, { password: wrongPassword() })));
    });

    const checked = replies.filter((reply) => reply.status === 401);
    const refused = replies.filter((reply) => reply.status === 429);
    expect(derivations.length).toBeLessThanOrEqual(MAX_FAILED_ATTEMPTS);
    expect(checked.length).toBe(derivations.length);
    expect(checked.length + refused.length).toBe(10);
    for (const reply of checked) expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    for (const reply of refused) expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await loginReply(tenant), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should not let checks whose requests died hold the budget once their hold has passed', async () => {
    const tenant = await registerTenant();
    await holdChecks(tenant, MAX_FAILED_ATTEMPTS, Date.now() - 1);

    expectSuccess(await loginReply(tenant));
  });

  it('should refuse a check for a second, uncounted, when the checks in flight outlast its wait', async () => {
    const tenant = await registerTenant();
    await holdChecks(tenant, MAX_FAILED_ATTEMPTS, Date.now() + 60_000);

    const reply = await loginReply(tenant);

    expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    expect(reply.headers.get('Retry-After')).toBe('1');
    await holdChecks(tenant, 0, 0);
    expectSuccess(await loginReply(tenant));
  });

  it('should let a correct login waiting behind wrong ones in flight through once one of them is verified', async () => {
    const tenant = await registerTenant();

    const replies = await Promise.all([
      ...Array.from({ length: MAX_FAILED_ATTEMPTS - 1 }, () => loginReply(tenant, { password: wrongPassword() })),
      ...Array.from({ length: 3 }, () => loginReply(tenant)),
    ]);

    const wrong = replies.slice(0, MAX_FAILED_ATTEMPTS - 1);
    const right = replies.slice(MAX_FAILED_ATTEMPTS - 1);
    for (const reply of wrong) expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    for (const reply of right) expectSuccess(reply);
  });
});
