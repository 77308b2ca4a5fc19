import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { unknownUserName, wrongPassword } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import type { Reply } from './support/request';
import { callLogin, createApiKey, loginReply, registerTenant, rememberLogin, uniqueBusiness, type TestTenant } from './support/tenants';

const { loginFailuresPerMinute } = settingsFrom(env);
const SPRAY = 45;
const POLICY = `"failed-logins";q=${loginFailuresPerMinute};w=60`;
/** A device token of the right shape that nobody was issued. */
const FORGED_DEVICE = `${'cd'.repeat(16)}.${'B'.repeat(43)}.${'C'.repeat(22)}`;

const from = (address: string, more: Record<string, string> = {}) => ({ headers: { 'CF-Connecting-IP': address, ...more } });

/**
 * The binding counts in windows of a wall-clock minute. A run that straddles two windows is run
 * again with fresh keys and names, so the counts are those of one window; none takes a minute.
 */
async function inOneWindow<T>(run: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const window = Math.floor(Date.now() / 60_000);
    const result = await run();
    if (Math.floor(Date.now() / 60_000) === window || tries === 2) return result;
  }
}

/** Registers tenants in the business of `apiKey`, each logged in once from elsewhere to hold a device token. */
async function tenantsOf(business: string, apiKey: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const tenant = await registerTenant({ business, apiKey });
      const { deviceToken } = rememberLogin(expectSuccess(await loginReply(tenant, from(`home-${crypto.randomUUID()}`))));
      return { tenant, deviceToken };
    }),
  );
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
  const address = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
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
  it('should refuse a client beyond LOGIN_FAILURES_PER_MINUTE logins through one key, existing user names or not', async () => {
    const { replies, existing } = await inOneWindow(spray);

    const allowed = replies.slice(0, loginFailuresPerMinute);
    const refused = replies.slice(loginFailuresPerMinute);
    for (const reply of allowed) {
      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.headers.get('RateLimit-Policy')).toBe(POLICY);
      expect(reply.headers.get('RateLimit')).toBeNull();
    }
    for (const reply of refused) {
      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
      expect(reply.headers.get('Retry-After')).toBe('60');
      expect(reply.headers.get('RateLimit-Policy')).toBe(POLICY);
      expect(reply.headers.get('RateLimit')).toBe('"failed-logins";r=0;t=60');
    }
    // No enumeration: the answers of existing user names are those of their unknown neighbours.
    expect(existing.filter(Boolean).length).toBeGreaterThan(0);
    const unknownAllowed = allowed.find((_, i) => !existing[i])!;
    const unknownRefused = refused.find((_, i) => !existing[loginFailuresPerMinute + i])!;
    for (const [i, exists] of existing.entries()) {
      if (exists) expect(replies[i].text).toBe((i < loginFailuresPerMinute ? unknownAllowed : unknownRefused).text);
    }
  });

  it('should still answer other keys, other addresses and the known devices of the user named, during the spray', async () => {
    const checks = await inOneWindow(async () => {
      const { owner, apiKey, address } = await spray();
      const otherBusiness = uniqueBusiness();
      const otherKey = await createApiKey({ business: otherBusiness });
      const [elsewhere] = await tenantsOf(otherBusiness, otherKey, 1);
      return {
        throughAnotherKey: await loginReply({ ...elsewhere.tenant, password: wrongPassword() }, from(address)),
        fromAnotherAddress: await callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey, ...from('198.51.100.7') }),
        ownerDevice: await loginReply(owner.tenant, from(address, { 'X-Device-Token': owner.deviceToken })),
        ownerWithoutDevice: await loginReply(owner.tenant, from(address)),
      };
    });

    expectFailure(checks.throughAnotherKey, 401, 'INVALID_CREDENTIALS');
    expectFailure(checks.fromAnotherAddress, 401, 'INVALID_CREDENTIALS');
    expect(expectSuccess(checks.ownerDevice).authContactBookInfo.id).toBeDefined();
    expect(checks.ownerDevice.headers.get('RateLimit-Policy')).toBe(POLICY);
    expectFailure(checks.ownerWithoutDevice, 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should count a client rotating through its IPv6 /64 as one client', async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    const { replies } = await inOneWindow(() => spray((i) => `${prefix}:${i.toString(16)}::${((i * 7919) % 0xffff).toString(16)}`));

    for (const reply of replies.slice(0, loginFailuresPerMinute)) expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    for (const reply of replies.slice(loginFailuresPerMinute)) expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
  });
});
