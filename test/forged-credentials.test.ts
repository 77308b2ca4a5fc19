import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/session-token';
import { tokenSignerFrom } from '../src/auth/token-signing';
import { wrongPassword } from './support/builders';
import { captureConsoleLines } from './support/console-lines';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, spentLoginBudget } from './support/faults';
import { recordingStoreCalls } from './support/store-calls';
import {
  changePassword,
  login,
  loginReply,
  loginWithDevice,
  logoutReply,
  registerTenant,
  stampReply,
  tenantReadyToChange,
  uniqueBusiness,
} from './support/tenants';

// Finding 6 of issue 18: a session or device token the service did not issue never reaches D1 or a
// Durable Object. Its MAC (src/auth/token-signing.ts) is checked first.

const OLD_KEY = 'the-signing-key-before-the-rotation-0001';
const NEW_KEY = 'the-signing-key-after-the-rotation-00002';
const UNKNOWN_KEY = 'a-signing-key-this-deployment-never-had';

const signedWith = (current: string, previous?: string) => envWith({ TOKEN_SIGNING_KEY: current, TOKEN_SIGNING_KEY_PREVIOUS: previous });

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const randomText = (length: number) => Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => BASE64URL[byte % 64]).join('');
const randomHex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');

/** A session token of the right shape for `tenantId` that nobody issued. */
const madeUpToken = (tenantId: string) => `${tenantId}.${randomHex(16)}.${randomText(43)}.${randomText(22)}`;

/** Each session route, sent with `token` through the tenant's key and `bindings`. */
const SESSION_ROUTES = [
  { route: 'stamp', send: (t: Awaited<ReturnType<typeof tenantReadyToChange>>, token: string, bindings: Env) => stampReply(t.tenant, token, { env: bindings }) },
  { route: 'change', send: (t: Awaited<ReturnType<typeof tenantReadyToChange>>, token: string, bindings: Env) => changePassword(t.tenant, token, t.body(), { env: bindings }) },
  { route: 'logout', send: (t: Awaited<ReturnType<typeof tenantReadyToChange>>, token: string, bindings: Env) => logoutReply(t.tenant, token, { env: bindings }) },
];

describe('a session token the service did not issue', () => {
  it.each(SESSION_ROUTES)('should be refused on $route without a store call when made up', async ({ send }) => {
    const ready = await tenantReadyToChange();
    const { bindings, calls } = recordingStoreCalls();

    expectFailure(await send(ready, madeUpToken(ready.tenant.id), bindings), 401, 'UNAUTHORIZED');

    expect(calls).toEqual([]);
    expectSuccess(await stampReply(ready.tenant, ready.token));
  });

  it.each(SESSION_ROUTES)("should be refused on $route without a store call when a real token names another tenant", async ({ send }) => {
    const ready = await tenantReadyToChange();
    const victim = await tenantReadyToChange();
    const edited = ready.token.replace(/^[^.]+/, victim.tenant.id);
    const { bindings, calls } = recordingStoreCalls();

    expectFailure(await send(victim, edited, bindings), 401, 'UNAUTHORIZED');

    expect(calls).toEqual([]);
    expectSuccess(await stampReply(victim.tenant, victim.token));
  });

  it('should be refused without a store call when issued by another business, with its key or with a copy of its MAC', async () => {
    const ready = await tenantReadyToChange();
    const outsider = await registerTenant({ business: uniqueBusiness() });
    const theirs = await login(outsider);
    // The service's own key, but the token made for another business than the tenant's.
    const forOtherBusiness = (await issueToken(tokenSignerFrom(env), uniqueBusiness(), ready.tenant.id)).token;
    const { bindings, calls } = recordingStoreCalls();

    expectFailure(await stampReply(ready.tenant, theirs, { env: bindings }), 401, 'UNAUTHORIZED');
    expectFailure(await stampReply(ready.tenant, forOtherBusiness, { env: bindings }), 401, 'UNAUTHORIZED');
    expectFailure(await changePassword(ready.tenant, forOtherBusiness, ready.body(), { env: bindings }), 401, 'UNAUTHORIZED');

    expect(calls).toEqual([]);
    expectSuccess(await stampReply(outsider, theirs));
  });

  it('should be refused without a store call when its secret or MAC is edited', async () => {
    const ready = await tenantReadyToChange();
    const [tenantId, sessionId, secret, mac] = ready.token.split('.');
    const { bindings, calls } = recordingStoreCalls();

    for (const edited of [`${tenantId}.${sessionId}.${randomText(43)}.${mac}`, `${tenantId}.${sessionId}.${secret}.${randomText(22)}`]) {
      expectFailure(await stampReply(ready.tenant, edited, { env: bindings }), 401, 'UNAUTHORIZED');
    }

    expect(calls).toEqual([]);
  });
});

describe('a device token the service did not issue for the user named', () => {
  it.each([
    { case: 'made up', deviceToken: async () => `${randomHex(16)}.${randomText(43)}.${randomText(22)}` },
    { case: 'of another user of the business', deviceToken: async (business: string) => (await loginWithDevice(await registerTenant({ business }))).deviceToken },
    { case: 'of the same user name in another business', deviceToken: async (_business: string, userName: string) => (await loginWithDevice(await registerTenant({ business: uniqueBusiness(), userName }))).deviceToken },
  ])('should count for nothing, $case: the spent budget refuses the login before the login object is asked', async ({ deviceToken }) => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const presented = await deviceToken(tenant.business, tenant.userName);
    const { bindings, calls } = recordingStoreCalls(envWith({ CLIENT_BUDGETS: spentLoginBudget() }));

    const reply = await loginReply(tenant, { headers: { 'X-Device-Token': presented }, env: bindings });

    expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    // The client's budget, asked first, and the tenant read it overlaps: nothing of the login object.
    expect(calls.toSorted()).toEqual(['d1:select', 'durableObject:admit']);
  });

  it("should leave the owner's own device token working through a spent budget", async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { deviceToken } = await loginWithDevice(tenant);

    expectSuccess(await loginReply(tenant, { headers: { 'X-Device-Token': deviceToken }, env: envWith({ CLIENT_BUDGETS: spentLoginBudget() }) }));
  });
});

describe('rotating TOKEN_SIGNING_KEY', () => {
  it('should accept a session made under the previous key, and refuse one made under a key it does not have without a store call', async () => {
    const tenant = await registerTenant();
    const before = expectSuccess(await loginReply(tenant, { env: signedWith(OLD_KEY) })).token;
    const unknown = expectSuccess(await loginReply(tenant, { env: signedWith(UNKNOWN_KEY) })).token;
    const rotated = signedWith(NEW_KEY, OLD_KEY);

    expectSuccess(await stampReply(tenant, before, { env: rotated }));
    const { bindings, calls } = recordingStoreCalls(rotated);
    expectFailure(await stampReply(tenant, unknown, { env: bindings }), 401, 'UNAUTHORIZED');
    expect(calls).toEqual([]);

    // Once the previous key is dropped, its sessions end.
    expectFailure(await stampReply(tenant, before, { env: signedWith(NEW_KEY) }), 401, 'UNAUTHORIZED');
  });

  it('should sign new tokens under the current key only', async () => {
    const tenant = await registerTenant();
    const { token, deviceToken } = expectSuccess(await loginReply(tenant, { env: signedWith(NEW_KEY, OLD_KEY) }));

    expectSuccess(await stampReply(tenant, token, { env: signedWith(NEW_KEY) }));
    expectFailure(await stampReply(tenant, token, { env: signedWith(OLD_KEY) }), 401, 'UNAUTHORIZED');
    const again = expectSuccess(await loginReply(tenant, { headers: { 'X-Device-Token': deviceToken }, env: signedWith(NEW_KEY) }));
    expect(again.deviceToken).toBe(deviceToken);
  });

  it('should keep a device known across the rotation, handing it its token re-signed under the current key', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const old = expectSuccess(await loginReply(tenant, { env: signedWith(OLD_KEY) })).deviceToken;
    const rotated = envWith({ TOKEN_SIGNING_KEY: NEW_KEY, TOKEN_SIGNING_KEY_PREVIOUS: OLD_KEY, CLIENT_BUDGETS: spentLoginBudget() });

    // Known, so the spent budget of the clients without a device does not refuse it.
    const renewed = expectSuccess(await loginReply(tenant, { headers: { 'X-Device-Token': old }, env: rotated })).deviceToken;

    expect(renewed).not.toBe(old);
    expect(renewed.split('.').slice(0, 2)).toEqual(old.split('.').slice(0, 2));
    const afterRotation = envWith({ TOKEN_SIGNING_KEY: NEW_KEY, CLIENT_BUDGETS: spentLoginBudget() });
    expectSuccess(await loginReply(tenant, { headers: { 'X-Device-Token': renewed }, env: afterRotation }));
  });
});

describe('a deployment without TOKEN_SIGNING_KEY', () => {
  const lines = captureConsoleLines();

  it.each([
    { case: 'unset', bindings: () => envWith({ TOKEN_SIGNING_KEY: undefined }) },
    { case: 'too short', bindings: () => signedWith('short') },
    { case: 'with a previous key too short', bindings: () => signedWith(NEW_KEY, 'short') },
  ])('should fail closed ($case), before any store call, naming the secret in the log', async ({ bindings: make }) => {
    const ready = await tenantReadyToChange();
    const { bindings, calls } = recordingStoreCalls(make());

    expectFailure(await loginReply(ready.tenant, { env: bindings }), 500, 'SOMETHING_WENT_WRONG');
    expectFailure(await stampReply(ready.tenant, ready.token, { env: bindings }), 500, 'SOMETHING_WENT_WRONG');
    expectFailure(await changePassword(ready.tenant, ready.token, ready.body({ existingPassword: wrongPassword() }), { env: bindings }), 500, 'SOMETHING_WENT_WRONG');

    expect(calls).toEqual([]);
    expect(lines.filter((line) => line.includes('MissingTokenSigningKey: TOKEN_SIGNING_KEY is unset'))).toHaveLength(3);
    expectSuccess(await stampReply(ready.tenant, ready.token));
  });
});
