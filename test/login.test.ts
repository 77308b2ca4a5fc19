import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { loginThrottle } from '../src/sessions/stub';
import { registerBody, unknownUserName, wrongPassword } from './support/builders';
import { insertTenant, tenantState } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import {
  callLogin,
  callRegister,
  createApiKey,
  login,
  REFUSED_API_KEYS,
  registerTenant,
  stampReply,
  type TestTenant,
} from './support/tenants';

const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const MAX_FAILED_ATTEMPTS = 5;

const attemptLogin = (apiKey: string | null, userName: unknown, password: unknown) => callLogin({ userName, password }, { apiKey });

/** Spends the whole failure budget of a user name with wrong passwords, each answered 401. */
async function exhaustAttempts(tenant: TestTenant): Promise<void> {
  for (let attempt = 1; attempt <= MAX_FAILED_ATTEMPTS; attempt++) {
    expectFailure(await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
  }
}

/** Spends the budget, then fails once more: the refusal that starts a lockout, returned. */
async function lockOut(tenant: TestTenant) {
  await exhaustAttempts(tenant);
  const reply = await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword());
  expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
  return reply;
}

describe('POST /v1/login', () => {
  describe('success', () => {
    it('should answer the token, its expiry and the tenant details', async () => {
      const tenant = await registerTenant({ firstName: 'Ada', lastName: 'Lovelace' });

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      const data = expectSuccess(reply);
      expect(Object.keys(data).sort()).toEqual(['authContactBookInfo', 'deviceToken', 'expiresAt', 'token']);
      expect(data.token).toEqual(expect.any(String));
      expect(data.token.length).toBeGreaterThan(20);
      expect(data.authContactBookInfo).toEqual({
        id: tenant.id,
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: tenant.userName,
        phoneNumber: null,
      });
      expect(reply.headers.get('Cache-Control')).toBe('no-store');
      expect(reply.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    });

    it('should answer an ISO-8601 expiry in the future', async () => {
      const tenant = await registerTenant();

      const data = expectSuccess(await attemptLogin(tenant.apiKey, tenant.userName, tenant.password));

      expect(data.expiresAt).toMatch(ISO_8601_UTC);
      expect(new Date(data.expiresAt).toISOString()).toBe(data.expiresAt);
      expect(new Date(data.expiresAt).getTime()).toBeGreaterThan(Date.now());
    });

    it('should return the phone number given at registration', async () => {
      const apiKey = await createApiKey();
      const body = registerBody({ firstName: 'Grace', lastName: 'Hopper', phoneNumber: '+15551234567' });
      expectSuccess(await callRegister(body, { apiKey }), 201);

      const data = expectSuccess(await attemptLogin(apiKey, body.userName, body.password));

      expect(data.authContactBookInfo.phoneNumber).toBe('+15551234567');
    });

    it('should never put the password or its hash in the response', async () => {
      const tenant = await registerTenant();

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      expectSuccess(reply);
      expect(reply.text).not.toContain(tenant.password);
      expect(reply.text.toLowerCase()).not.toContain('pbkdf2');
      expect(reply.text).not.toMatch(/hash/i);
    });

    it('should issue a different token for every login', async () => {
      const tenant = await registerTenant();

      const first = await login(tenant);
      const second = await login(tenant);

      expect(first).not.toBe(second);
    });

    it.each([
      { variant: 'upper case', transform: (email: string) => email.toUpperCase() },
      { variant: 'surrounding whitespace', transform: (email: string) => `  ${email} ` },
      { variant: 'capitalised first letter', transform: (email: string) => email.charAt(0).toUpperCase() + email.slice(1) },
    ])('should accept the user name in $variant', async ({ transform }) => {
      const tenant = await registerTenant();

      const data = expectSuccess(await attemptLogin(tenant.apiKey, transform(tenant.userName), tenant.password));

      expect(data.authContactBookInfo.id).toBe(tenant.id);
      expect(data.authContactBookInfo.email).toBe(tenant.userName);
    });

    it('should give a token that the stamp route accepts', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);

      const reply = await stampReply(tenant, token);

      expect(expectSuccess(reply)).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    });

    it('should give a token that works with another valid application key', async () => {
      const tenant = await registerTenant();
      const token = await login(tenant);

      const reply = await stampReply(tenant, token, { apiKey: await createApiKey() });

      expectSuccess(reply);
    });
  });

  describe('INVALID_CREDENTIALS', () => {
    it('should answer 401 INVALID_CREDENTIALS for a wrong password', async () => {
      const tenant = await registerTenant();

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword());

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.body.errors).toHaveLength(1);
    });

    it('should answer 401 INVALID_CREDENTIALS for an unknown user', async () => {
      const apiKey = await createApiKey();

      const reply = await attemptLogin(apiKey, unknownUserName(), 'some password 123');

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    });

    it('should answer an unknown user and a wrong password with the identical envelope', async () => {
      const tenant = await registerTenant();

      const wrong = await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword());
      const unknown = await attemptLogin(tenant.apiKey, unknownUserName(), wrongPassword());

      expectFailure(wrong, 401, 'INVALID_CREDENTIALS');
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body).toEqual(wrong.body);
      expect(unknown.text).toBe(wrong.text);
      expect(unknown.headers.get('Retry-After')).toBe(wrong.headers.get('Retry-After'));
    });

    it('should answer a disabled tenant with the correct password exactly as a wrong password', async () => {
      const tenant = await registerTenant();
      const wrong = await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword());
      await tenantState.disable(tenant.id);

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.body).toEqual(wrong.body);
    });

    it('should answer a tenant without login credentials with INVALID_CREDENTIALS', async () => {
      const apiKey = await createApiKey();
      const userName = `no-credentials-${crypto.randomUUID()}@example.com`;
      await insertTenant({ id: crypto.randomUUID().toUpperCase(), userName, firstName: 'Lead', lastName: 'Only', passwordHash: null });

      const reply = await attemptLogin(apiKey, userName, 'any password at all 1');

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    });

    it('should refuse the password in a different case', async () => {
      const tenant = await registerTenant({ password: 'Case Sensitive Passphrase 7' });

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, 'case sensitive passphrase 7');

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
    });

    it('should not reveal the submitted password in the failure', async () => {
      const tenant = await registerTenant();
      const attempted = wrongPassword();

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, attempted);

      expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.text).not.toContain(attempted);
      expect(reply.text).not.toContain(tenant.password);
    });
  });

  describe('TOO_MANY_ATTEMPTS', () => {
    it('should answer 429 with a Retry-After after five wrong passwords', async () => {
      const tenant = await registerTenant();

      const reply = await lockOut(tenant);

      const retryAfter = reply.headers.get('Retry-After');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    });

    it('should refuse even the correct password while locked out', async () => {
      const tenant = await registerTenant();
      await lockOut(tenant);

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
      expect(Number(reply.headers.get('Retry-After'))).toBeGreaterThan(0);
    });

    it('should refuse the correct password as the sixth attempt', async () => {
      const tenant = await registerTenant();
      await exhaustAttempts(tenant);

      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    });

    it('should count attempts per user name whatever its case', async () => {
      const tenant = await registerTenant();
      for (const userName of [tenant.userName, tenant.userName.toUpperCase(), ` ${tenant.userName}`]) {
        expectFailure(await attemptLogin(tenant.apiKey, userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
      }
      expectFailure(await attemptLogin(tenant.apiKey, tenant.userName.toUpperCase(), wrongPassword()), 401, 'INVALID_CREDENTIALS');
      expectFailure(await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');

      const reply = await attemptLogin(tenant.apiKey, tenant.userName.toUpperCase(), tenant.password);

      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    });

    it('should count attempts for a user name with no tenant, as for a real one', async () => {
      const apiKey = await createApiKey();
      const userName = unknownUserName();
      for (let attempt = 1; attempt <= MAX_FAILED_ATTEMPTS; attempt++) {
        expectFailure(await attemptLogin(apiKey, userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
      }

      const reply = await attemptLogin(apiKey, userName, wrongPassword());

      expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
    });

    it('should leave a different user unaffected', async () => {
      const locked = await registerTenant();
      const other = await registerTenant({ apiKey: locked.apiKey });
      await lockOut(locked);

      const wrong = await attemptLogin(other.apiKey, other.userName, wrongPassword());
      const right = await attemptLogin(other.apiKey, other.userName, other.password);

      expectFailure(wrong, 401, 'INVALID_CREDENTIALS');
      expect(expectSuccess(right).authContactBookInfo.id).toBe(other.id);
    });

    it('should forget earlier failures after a successful login', async () => {
      const tenant = await registerTenant();
      for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
        expectFailure(await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
      }
      await login(tenant);

      for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
        expectFailure(await attemptLogin(tenant.apiKey, tenant.userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
      }
      const reply = await attemptLogin(tenant.apiKey, tenant.userName, tenant.password);

      expectSuccess(reply);
    });

    it('should let at most five of twelve concurrent wrong logins reach the password check', async () => {
      const tenant = await registerTenant();

      const replies = await Promise.all(
        Array.from({ length: 12 }, () => attemptLogin(tenant.apiKey, tenant.userName, wrongPassword())),
      );

      const invalid = replies.filter((reply) => reply.status === 401);
      const throttled = replies.filter((reply) => reply.status === 429);
      expect(invalid.length).toBeLessThanOrEqual(MAX_FAILED_ATTEMPTS);
      expect(invalid.length + throttled.length).toBe(12);
      for (const reply of invalid) expectFailure(reply, 401, 'INVALID_CREDENTIALS');
      for (const reply of throttled) {
        expectFailure(reply, 429, 'TOO_MANY_ATTEMPTS');
        expect(Number(reply.headers.get('Retry-After'))).toBeGreaterThan(0);
      }
      expectFailure(await attemptLogin(tenant.apiKey, tenant.userName, tenant.password), 429, 'TOO_MANY_ATTEMPTS');
    });
  });

  describe('field errors and keys', () => {
    it.each([
      { case: 'userName missing', body: { password: 'some password 123' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName' },
      { case: 'userName empty', body: { userName: '', password: 'some password 123' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName' },
      { case: 'password missing', body: { userName: 'jane@example.com' }, code: 'INVALID_PARAM_PASSWORD', field: 'password' },
      { case: 'password empty', body: { userName: 'jane@example.com', password: '' }, code: 'INVALID_PARAM_PASSWORD', field: 'password' },
      {
        case: 'userName over 100 characters',
        body: { userName: `${'a'.repeat(100)}@example.com`, password: 'some password 123' },
        code: 'INVALID_PARAM_USER_NAME',
        field: 'userName',
      },
    ])('should answer 400 $code for $case', async ({ body, code, field }) => {
      const reply = await callLogin(body, { apiKey: await createApiKey() });

      const error = expectFailure(reply, 400, code);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    });

    it.each(REFUSED_API_KEYS)('should answer 401 UNAUTHORIZED $case, even with the right password', async ({ key }) => {
      const tenant = await registerTenant();

      const reply = await attemptLogin(await key(), tenant.userName, tenant.password);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it('should not count a request without a key as a failed attempt', async () => {
      const tenant = await registerTenant();
      for (let attempt = 1; attempt <= MAX_FAILED_ATTEMPTS + 1; attempt++) {
        const reply = await attemptLogin(null, tenant.userName, wrongPassword());
        expectFailure(reply, 401, 'UNAUTHORIZED');
      }

      expectSuccess(await attemptLogin(tenant.apiKey, tenant.userName, tenant.password));
    });
  });
});

describe('POST /v1/login, lockout and enumeration', () => {
  it('should make a repeated lockout longer than the first', async () => {
    const tenant = await registerTenant();
    const firstWait = Number((await lockOut(tenant)).headers.get('Retry-After'));

    // Let the first lockout run out, then fail again.
    await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => {
      state.storage.sql.exec('UPDATE attempts SET locked_until = 0, window_started_at = 0');
    });
    const second = await lockOut(tenant);
    expect(Number(second.headers.get('Retry-After'))).toBe(firstWait * 2);
  });

  it('should spend the same derivation on an unknown user as on a wrong password', async () => {
    const tenant = await registerTenant();
    const count = (userName: string) =>
      derivationsDuring(async () => {
        expectFailure(await attemptLogin(tenant.apiKey, userName, wrongPassword()), 401, 'INVALID_CREDENTIALS');
      });
    const known = await count(tenant.userName);
    const unknown = await count(unknownUserName());
    expect(known).toEqual([100_000]);
    expect(unknown).toEqual(known);
  });
});
