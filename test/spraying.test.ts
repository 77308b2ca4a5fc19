import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { recordingStoreCalls } from './support/store-calls';
import { unknownUserName, wrongPassword } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyClientBudgets } from './support/faults';
import type { Reply } from './support/request';
import { callLogin, createApiKey, loginReply, registerTenant, rememberLogin, uniqueBusiness, type TestTenant } from './support/tenants';

const { loginFailuresPerMinute } = settingsFrom(env);
const SPRAY = 45;
const POLICY = `"failed-logins";q=${loginFailuresPerMinute};w=60`;
/** A device token of the right shape that nobody was issued. */
const FORGED_DEVICE = `${'cd'.repeat(16)}.${'B'.repeat(43)}.${'C'.repeat(22)}`;
/** A smaller limit, set the way an operator would (the var), so a test spends it in a few logins. */
const SMALL_LIMIT = 3;
const smallLimit = (): Env => envWith({ LOGIN_FAILURES_PER_MINUTE: String(SMALL_LIMIT) } as Partial<Env>);

const from = (address: string, more: Record<string, string> = {}) => ({ headers: { 'CF-Connecting-IP': address, ...more } });
const randomIpv4 = () => `203.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
const rateLimit = (reply: Reply) => {
  const match = /^"failed-logins";r=(\d+);t=(\d+)$/.exec(reply.headers.get('RateLimit') ?? '');
  return match ? { r: Number(match[1]), t: Number(match[2]) } : null;
};

/** Registers tenants in the business of `apiKey`, each logged in once from elsewhere to hold a device token. */
async function tenantsOf(business: string, apiKey: string, count: number) {
  const tenants = [];
  for (let i = 0; i < count; i++) {
    const tenant = await registerTenant({ business, apiKey });
    const { deviceToken } = rememberLogin(expectSuccess(await loginReply(tenant, from(randomIpv4()))));
    tenants.push({ tenant, deviceToken });
  }
  return tenants;
}

interface Spray {
  replies: Reply[];
  /** Which of the sprayed user names belong to registered tenants. */
  existing: boolean[];
  owner: { tenant: TestTenant; deviceToken: string };
  apiKey: string;
  address: string;
}

/**
 * SPRAY wrong logins over distinct user names, from one client through one key; every other one
 * with a forged device token. The client is one address, or the i-th address `addressOf` gives.
 */
async function spray(addressOf?: (i: number) => string): Promise<Spray> {
  const business = uniqueBusiness();
  const apiKey = await createApiKey({ business });
  const address = randomIpv4();
  const [owner, ...known] = await tenantsOf(business, apiKey, 7);
  const existingAt = new Map([0, 9, 20, 29, 30, 38].map((at, i) => [at, known[i].tenant.userName]));
  const existing = Array.from({ length: SPRAY }, (_, i) => existingAt.has(i));
  const replies: Reply[] = [];
  for (let i = 0; i < SPRAY; i++) {
    const userName = existingAt.get(i) ?? unknownUserName();
    const device: Record<string, string> = i % 2 === 1 ? { 'X-Device-Token': FORGED_DEVICE } : {};
    replies.push(await callLogin({ userName, password: wrongPassword() }, { apiKey, ...from(addressOf?.(i) ?? address, device) }));
  }
  return { replies, existing, owner, apiKey, address };
}

describe('POST /v1/login, spraying across user names', () => {
  it('should refuse a client beyond LOGIN_FAILURES_PER_MINUTE failures through one key, existing user names or not', async () => {
    const { replies, existing } = await spray();

    const allowed = replies.slice(0, loginFailuresPerMinute);
    const refused = replies.slice(loginFailuresPerMinute);
    for (const [i, reply] of allowed.entries()) {
      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.headers.get('RateLimit-Policy')).toBe(POLICY);
      expect(rateLimit(reply)?.r).toBe(loginFailuresPerMinute - i - 1);
    }
    for (const reply of refused) {
      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
      const { r, t } = rateLimit(reply)!;
      expect(r).toBe(0);
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(60);
      expect(reply.headers.get('Retry-After')).toBe(String(t));
      expect(reply.headers.get('RateLimit-Policy')).toBe(POLICY);
    }
    // No enumeration: the answers of existing user names are those of their unknown neighbours.
    expect(existing.filter(Boolean).length).toBeGreaterThan(0);
    // Refusals say how many seconds are left, which may differ by one between two replies.
    const bodyOf = (reply: Reply) => reply.text.replace(/\d+ seconds/, 'N seconds');
    for (const [i, exists] of existing.entries()) {
      const neighbour = replies.find((_, j) => !existing[j] && (j < loginFailuresPerMinute) === (i < loginFailuresPerMinute))!;
      if (exists) expect(bodyOf(replies[i])).toBe(bodyOf(neighbour));
    }
  });

  it('should still answer other keys, other addresses and the known devices of the user named, during the spray', async () => {
    const { owner, apiKey, address } = await spray();
    const otherBusiness = uniqueBusiness();
    const otherKey = await createApiKey({ business: otherBusiness });
    const [elsewhere] = await tenantsOf(otherBusiness, otherKey, 1);

    expectFailure(await loginReply({ ...elsewhere.tenant, password: wrongPassword() }, from(address)), 401, 'INVALID_CREDENTIALS');
    expectFailure(await callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey, ...from('198.51.100.7') }), 401, 'INVALID_CREDENTIALS');
    const ownerDevice = await loginReply(owner.tenant, from(address, { 'X-Device-Token': owner.deviceToken }));
    expect(expectSuccess(ownerDevice).authContactBookInfo.id).toBe(owner.tenant.id);
    expect(ownerDevice.headers.get('RateLimit-Policy')).toBe(POLICY);
    expect(rateLimit(ownerDevice)?.r).toBe(0);
    expectFailure(await loginReply(owner.tenant, from(address)), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should count a client rotating through its IPv6 /64 as one client', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    const { replies } = await spray((i) => `${prefix}:${i.toString(16)}::${((i * 7919) % 0xffff).toString(16)}`);

    for (const reply of replies.slice(0, loginFailuresPerMinute)) expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    for (const reply of replies.slice(loginFailuresPerMinute)) expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
  });
});

describe('POST /v1/login, only failures count', () => {
  it('should answer 200 to hundreds of successful logins without device tokens from one client in a minute', async () => {
    const business = uniqueBusiness();
    const apiKey = await createApiKey({ business });
    const tenants = await Promise.all(Array.from({ length: 8 }, () => registerTenant({ business, apiKey })));
    const address = randomIpv4();
    // Hundreds of derivations on a shared machine: more than the default timeout, never more than the limit's failures.
    const LOGINS = 200;

    const replies: Reply[] = [];
    for (let round = 0; round < LOGINS / tenants.length; round++) {
      replies.push(...(await Promise.all(tenants.map((tenant) => loginReply(tenant, { ...from(address), env: smallLimit() })))));
    }

    expect(replies.map((reply) => reply.status)).toEqual(Array(LOGINS).fill(200));
    for (const reply of replies) expect(rateLimit(reply)?.r).toBe(SMALL_LIMIT);
  }, 120_000);

  it('should let the remaining count fall with each failure and not with a success', async () => {
    const tenant = await registerTenant();
    const address = randomIpv4();
    const options = { ...from(address), env: smallLimit() };

    const first = await loginReply(tenant, { ...options, password: wrongPassword() });
    const success = await loginReply(tenant, options);
    const second = await loginReply(tenant, { ...options, password: wrongPassword() });

    expect(rateLimit(first)?.r).toBe(SMALL_LIMIT - 1);
    expect(rateLimit(success)?.r).toBe(SMALL_LIMIT - 1);
    expect(rateLimit(second)?.r).toBe(SMALL_LIMIT - 2);
  });

  it('should never let concurrent failures of one client past the limit', async () => {
    const apiKey = await createApiKey();
    const address = randomIpv4();

    const replies = await Promise.all(
      Array.from({ length: 12 }, () => callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey, ...from(address), env: smallLimit() })),
    );

    expect(replies.filter((reply) => reply.status === 401)).toHaveLength(SMALL_LIMIT);
    expect(replies.filter((reply) => reply.status === 429)).toHaveLength(12 - SMALL_LIMIT);
  });

  it('should ask the client budget before the login object, even with a forged device token, and admit nothing there once refused', async () => {
    const tenant = await registerTenant();
    const address = randomIpv4();
    for (let i = 0; i < SMALL_LIMIT; i++) {
      expectFailure(await callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey: tenant.apiKey, ...from(address), env: smallLimit() }), 401, 'INVALID_CREDENTIALS');
    }
    const { bindings, calls } = recordingStoreCalls(smallLimit());

    // The sprayer aims forged device tokens at the owner's user name, many at once, while the owner logs in elsewhere.
    const [owner, ...forged] = await Promise.all([
      loginReply(tenant, from(randomIpv4())),
      ...Array.from({ length: 8 }, () =>
        loginReply(tenant, { password: wrongPassword(), ...from(address, { 'X-Device-Token': FORGED_DEVICE }), env: bindings }),
      ),
    ]);

    expectSuccess(owner);
    for (const reply of forged) expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    const order = calls.filter((call) => call.startsWith('durableObject:'));
    expect(order.indexOf('durableObject:admit')).toBe(0);
    expect(order).not.toContain('durableObject:finishLogin');
  });

  it('should fail closed when the client budget cannot be asked, and open no session', async () => {
    const tenant = await registerTenant();

    const reply = await loginReply(tenant, { env: envWith({ CLIENT_BUDGETS: faultyClientBudgets(['admit']) }) });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expectSuccess(await loginReply(tenant));
  });
});

describe('POST /v1/login, an IPv6 /48', () => {
  it('should refuse a /48 beyond four times the limit over its /64s, but never a known device of the user named', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = rememberLogin(expectSuccess(await loginReply(tenant)));
    const site = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const options = (subnet: number, more: Record<string, string> = {}) => ({ ...from(`${site}:${subnet.toString(16)}::1`, more), env: smallLimit() });
    const fail = (subnet: number) => callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey: tenant.apiKey, ...options(subnet) });

    for (let subnet = 0; subnet < 4; subnet++) {
      for (let i = 0; i < SMALL_LIMIT; i++) expectFailure(await fail(subnet), 401, 'INVALID_CREDENTIALS');
    }

    expectFailure(await fail(4), 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(await loginReply(tenant, options(5, { 'X-Device-Token': deviceToken })));
    expectFailure(await loginReply(tenant, options(5)), 429, 'TOO_MANY_ATTEMPTS');
    const otherSite = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1::1`;
    expectSuccess(await loginReply(tenant, { ...from(otherSite), env: smallLimit() }));
  });
});
