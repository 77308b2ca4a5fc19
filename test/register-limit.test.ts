import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settingsFrom } from '../src/config';
import { registerBody } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import type { Reply } from './support/request';
import { callRegister, createApiKey, uniqueBusiness } from './support/tenants';

const { registrationsPerMinute } = settingsFrom(env);
const from = (address: string, more: Record<string, string> = {}) => ({ 'CF-Connecting-IP': address, ...more });
const randomIpv4 = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

/**
 * The binding counts in windows of a wall-clock minute. A run that straddles two windows is run
 * again with fresh keys and addresses, so the counts are those of one window; none takes a minute.
 */
async function inOneWindow<T>(run: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    const window = Math.floor(Date.now() / 60_000);
    const result = await run();
    if (Math.floor(Date.now() / 60_000) === window || tries === 2) return result;
  }
}

/** Spends the whole budget of one key and client: REGISTRATIONS_PER_MINUTE registrations, all 201. */
async function fillBudget(apiKey: string, headers: Record<string, string>): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: registrationsPerMinute }, () => callRegister(registerBody(), { apiKey, headers })),
  );
  for (const reply of replies) expectSuccess(reply, 201);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('POST /v1/register, the limit per key and client', () => {
  // The first REGISTRATIONS_PER_MINUTE answering 201 and the next 429 also proves the binding's limit equals the var.
  it('should answer the registration beyond REGISTRATIONS_PER_MINUTE 429 with Retry-After, before any policy check or derivation', async () => {
    const { refused, derivations, stored } = await inOneWindow(async () => {
      const business = uniqueBusiness();
      const apiKey = await createApiKey({ business });
      const headers = from(randomIpv4());
      await fillBudget(apiKey, headers);
      const deriveBits = vi.spyOn(crypto.subtle, 'deriveBits');
      // A password the policy would refuse: a 429 proves the policy never ran either.
      const reply = await callRegister(registerBody({ password: 'a' }), { apiKey, headers });
      const calls = deriveBits.mock.calls.length;
      deriveBits.mockRestore();
      const stored = await env.DB.prepare('SELECT count(*) AS n FROM tenants WHERE business_id = ?').bind(business).first<number>('n');
      return { refused: reply, derivations: calls, stored };
    });

    expectFailure(refused, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(refused.headers.get('Retry-After'))).toBe(60);
    expect(derivations).toBe(0);
    expect(stored).toBe(registrationsPerMinute);
  });

  it('should leave another client, another key and a server key\'s other end users unaffected', async () => {
    const replies = await inOneWindow(async () => {
      const business = uniqueBusiness();
      const apiKey = await createApiKey({ business });
      const serverKey = await createApiKey({ business, kind: 'server' });
      const address = randomIpv4();
      await fillBudget(apiKey, from(address));
      await fillBudget(serverKey, from(address, { 'X-Client-Address': '192.0.2.10' }));
      const register = (key: string, headers: Record<string, string>) => callRegister(registerBody(), { apiKey: key, headers });
      return {
        sameClient: await register(apiKey, from(address)),
        publishableNamingAnother: await register(apiKey, from(address, { 'X-Client-Address': '192.0.2.99' })),
        otherClient: await register(apiKey, from(randomIpv4())),
        otherKey: await register(await createApiKey({ business }), from(address)),
        sameEndUser: await register(serverKey, from(address, { 'X-Client-Address': '192.0.2.10' })),
        otherEndUser: await register(serverKey, from(address, { 'X-Client-Address': '192.0.2.11' })),
      } satisfies Record<string, Reply>;
    });

    expectFailure(replies.sameClient, 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(replies.publishableNamingAnother, 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(replies.otherClient, 201);
    expectSuccess(replies.otherKey, 201);
    expectFailure(replies.sameEndUser, 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(replies.otherEndUser, 201);
  });
});
