import { describe, expect, it } from 'vitest';
import { unknownUserName, wrongPassword } from './support/builders';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith } from './support/faults';
import type { Reply } from './support/request';
import { callLogin, callRegister, createApiKey, loginReply, registerTenant, rememberLogin, uniqueBusiness } from './support/tenants';
import { registerBody } from './support/builders';

/** A small spraying limit, set the way an operator would (the var), so a test spends it in a few logins. */
const LIMIT = 3;
const smallLimit = (): Env => envWith({ LOGIN_FAILURES_PER_MINUTE: String(LIMIT) } as Partial<Env>);
/** The portal's own server: every request comes from it. */
const PORTAL = '203.0.113.200';
const endUser = () => `192.0.2.${Math.floor(Math.random() * 250) + 1}`;
const remaining = (reply: Reply) => Number(/;r=(\d+);/.exec(reply.headers.get('RateLimit') ?? '')?.[1]);

/** A wrong login of an unknown user through `apiKey`, from the portal, naming `forwarded` as the end user (if given). */
function wrongLogin(apiKey: string, forwarded?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'CF-Connecting-IP': PORTAL, ...(forwarded ? { 'X-Client-Address': forwarded } : {}) };
  return callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey, headers, env: smallLimit() });
}

async function spend(apiKey: string, forwarded?: string): Promise<void> {
  for (let i = 0; i < LIMIT; i++) expectFailure(await wrongLogin(apiKey, forwarded), 401, 'INVALID_CREDENTIALS');
}

describe('X-Client-Address through a server key', () => {
  it('should count each end user a portal names on its own, never refusing one for another\'s failures', async () => {
    const serverKey = await createApiKey({ kind: 'server' });
    const [bad, good] = [endUser(), `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}::5`];

    await spend(serverKey, bad);
    const refused = await wrongLogin(serverKey, bad);
    const other = await wrongLogin(serverKey, good);

    expectFailure(refused, 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(other, 401, 'INVALID_CREDENTIALS');
    expect(remaining(other)).toBe(LIMIT - 1);
  });

  it('should still bound the portal itself when it names nobody, apart from the end users it names', async () => {
    const serverKey = await createApiKey({ kind: 'server' });

    await spend(serverKey);

    expectFailure(await wrongLogin(serverKey), 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await wrongLogin(serverKey, endUser()), 401, 'INVALID_CREDENTIALS');
  });

  it('should never refuse a known device of the user named, whatever the end user\'s address has spent', async () => {
    const business = uniqueBusiness();
    const serverKey = await createApiKey({ business, kind: 'server' });
    const tenant = await registerTenant({ business, apiKey: serverKey });
    const address = endUser();
    const through = (more: Record<string, string>) => ({ headers: { 'CF-Connecting-IP': PORTAL, 'X-Client-Address': address, ...more }, env: smallLimit() });
    const { deviceToken } = rememberLogin(expectSuccess(await loginReply(tenant, through({}))));

    await spend(serverKey, address);

    expectSuccess(await loginReply(tenant, through({ 'X-Device-Token': deviceToken })));
    expectFailure(await loginReply(tenant, through({})), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should not let another key of the business reach the budget of a key\'s end user', async () => {
    const business = uniqueBusiness();
    const [serverKey, otherKey] = await Promise.all([createApiKey({ business, kind: 'server' }), createApiKey({ business, kind: 'server' })]);
    const address = endUser();

    await spend(serverKey, address);

    expectFailure(await wrongLogin(otherKey, address), 401, 'INVALID_CREDENTIALS');
  });

  it.each(['', '198.51.100.256', '198.51.100.23, 203.0.113.9', '[2001:db8::1]', '2001:db8::1%eth0', 'not an address'])(
    'should answer 400 FAILED to the malformed X-Client-Address %j on login and register',
    async (header) => {
      const serverKey = await createApiKey({ kind: 'server' });
      const headers = { 'X-Client-Address': header };

      const login = await callLogin({ userName: unknownUserName(), password: wrongPassword() }, { apiKey: serverKey, headers });
      const register = await callRegister(registerBody(), { apiKey: serverKey, headers });

      for (const reply of [login, register]) {
        expectFailure(reply, 400, 'FAILED');
        expect(reply.body.errors?.[0].message).toMatch(/X-Client-Address/);
      }
    },
  );
});

describe('X-Client-Address through a publishable key', () => {
  it('should be ignored: a client naming a fresh address with every failure is still refused at the limit', async () => {
    const publishableKey = await createApiKey();

    for (let i = 0; i < LIMIT; i++) expectFailure(await wrongLogin(publishableKey, endUser()), 401, 'INVALID_CREDENTIALS');

    expectFailure(await wrongLogin(publishableKey, endUser()), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should be ignored whatever it holds, a malformed one included', async () => {
    const tenant = await registerTenant();

    const reply = await loginReply(tenant, { headers: { 'X-Client-Address': 'not an address' } });

    expectSuccess(reply);
  });

  it('should not spend the budget of the address it names', async () => {
    const business = uniqueBusiness();
    const [publishableKey, serverKey] = [await createApiKey({ business }), await createApiKey({ business, kind: 'server' })];
    const victim = endUser();

    await spend(publishableKey, victim);

    const reply = await wrongLogin(serverKey, victim);
    expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    expect(remaining(reply)).toBe(LIMIT - 1);
  });
});
