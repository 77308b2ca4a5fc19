import { describe, expect, it } from 'vitest';
import { registerBody, uniqueEmail } from './support/builders';
import { tenantCountFor, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { callRegister, createApiKey, loginReply, REFUSED_API_KEYS, registerTenant } from './support/tenants';

const UPPER_CASE_GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** Registers through a fresh key, or through `apiKey` when given (null: without any). */
async function register(body: unknown, apiKey?: string | null) {
  return callRegister(body, { apiKey: apiKey === undefined ? await createApiKey() : apiKey });
}

describe('POST /v1/register', () => {
  describe('success', () => {
    it('should create the tenant and answer 201 with an upper-case GUID', async () => {
      const body = registerBody({ phoneNumber: '+15551234567' });

      const reply = await register(body);

      const id = expectSuccess(reply, 201);
      expect(id).toMatch(UPPER_CASE_GUID);
      expect(reply.headers.get('Cache-Control')).toBe('no-store');
      expect(reply.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
      expect(Object.keys(reply.body).sort()).toEqual(['data', 'errors', 'status', 'succeeded']);
    });

    it('should store the tenant with a lower-cased user name and a hash, never the password', async () => {
      const body = registerBody({ userName: `  Mixed.Case-${crypto.randomUUID()}@Example.COM ` });

      const reply = await register(body);

      const id = expectSuccess(reply, 201);
      const row = await tenantRow(id);
      expect(row).toMatchObject({
        id,
        user_name: String(body.userName).trim().toLowerCase(),
        first_name: 'Jane',
        last_name: 'Doe',
        phone_number: null,
      });
      expect(row?.password_hash).toMatch(/^pbkdf2-sha512\$/);
      expect(row?.password_hash).not.toContain(String(body.password));
      expect(reply.text).not.toContain(String(body.password));
      expect(reply.text.toLowerCase()).not.toContain('pbkdf2');
    });

    it('should give every registration its own id', async () => {
      const first = expectSuccess(await register(registerBody()), 201);
      const second = expectSuccess(await register(registerBody()), 201);

      expect(first).not.toBe(second);
    });

    it('should accept a password of exactly 128 code points made of characters outside the BMP', async () => {
      // 128 emoji are 256 UTF-16 units: the limit is counted in code points. Spread out, so no pattern repeats.
      const emoji = Array.from({ length: 128 }, (_, i) => String.fromCodePoint(0x1f400 + ((i * 37) % 128))).join('');
      const reply = await register(registerBody({ password: emoji }));

      expect(expectSuccess(reply, 201)).toMatch(UPPER_CASE_GUID);
    });

    it('should accept a password of exactly 8 characters, when they are not guessable', async () => {
      // Eight random ASCII characters are within zxcvbn's 10^8 guesses; eight emoji are not.
      const reply = await register(registerBody({ password: '🔐🔑🔒🔓🛡🧷🧲🧰' }));

      expect(expectSuccess(reply, 201)).toMatch(UPPER_CASE_GUID);
    });

    it('should accept names of exactly 2 and 60 characters and a phone number of 15', async () => {
      const reply = await register(registerBody({ firstName: 'Al', lastName: 'L'.repeat(60), phoneNumber: '1'.repeat(15) }));

      expect(expectSuccess(reply, 201)).toMatch(UPPER_CASE_GUID);
    });
  });

  describe('USER_ALREADY_EXISTS', () => {
    it.each([
      { variant: 'the same email', transform: (email: string) => email },
      { variant: 'the email in upper case', transform: (email: string) => email.toUpperCase() },
      { variant: 'the email with surrounding whitespace', transform: (email: string) => `  ${email}\t` },
      {
        variant: 'the email in mixed case with whitespace',
        transform: (email: string) => ` ${email.charAt(0).toUpperCase()}${email.slice(1, 10).toUpperCase()}${email.slice(10)} `,
      },
    ])('should answer 409 USER_ALREADY_EXISTS for $variant', async ({ transform }) => {
      const existing = await registerTenant();

      const reply = await register(registerBody({ userName: transform(existing.userName) }), existing.apiKey);

      const error = expectFailure(reply, 409, 'USER_ALREADY_EXISTS');
      expect(error.field).toBe('userName');
      expect(await tenantCountFor(existing.userName)).toBe(1);
    });

    it('should let exactly one of five concurrent registrations of one email win', async () => {
      const apiKey = await createApiKey();
      const userName = uniqueEmail();

      const replies = await Promise.all(
        [userName, userName.toUpperCase(), ` ${userName}`, userName, userName].map((variant) =>
          register(registerBody({ userName: variant }), apiKey),
        ),
      );

      expect(replies.filter((reply) => reply.status === 201)).toHaveLength(1);
      for (const reply of replies.filter((candidate) => candidate.status !== 201)) {
        expectFailure(reply, 409, 'USER_ALREADY_EXISTS');
      }
      expect(await tenantCountFor(userName)).toBe(1);
    });

    it('should keep the first tenant able to log in with its own password', async () => {
      const existing = await registerTenant();

      await register(registerBody({ userName: existing.userName.toUpperCase(), password: 'another strong passphrase 42' }));
      const reply = await loginReply(existing);

      expect(expectSuccess(reply).authContactBookInfo.id).toBe(existing.id);
    });
  });

  describe('field errors', () => {
    const localPart = `jane.smith.${crypto.randomUUID().slice(0, 8)}`;
    const otherEmail = `john.roe.${crypto.randomUUID().slice(0, 8)}@example.com`;
    it.each([
      { case: 'userName missing', body: { userName: undefined }, code: 'INVALID_PARAM_USER_NAME', field: 'userName', rule: /required/ },
      { case: 'userName empty', body: { userName: '' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName', rule: /empty|email/ },
      { case: 'userName only whitespace', body: { userName: '   ' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName', rule: /empty|email/ },
      { case: 'userName not an email', body: { userName: 'not-an-email' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName', rule: /email/ },
      { case: 'userName without a domain', body: { userName: 'jane@' }, code: 'INVALID_PARAM_USER_NAME', field: 'userName', rule: /email/ },
      {
        case: 'userName over 100 characters',
        body: { userName: `${'a'.repeat(89)}@example.com` },
        code: 'INVALID_PARAM_USER_NAME',
        field: 'userName',
        rule: /at most 100/,
      },
      { case: 'password missing', body: { password: undefined }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /required/ },
      { case: 'password of 7 characters', body: { password: 'k7#Qz!9' }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /at least 8/ },
      { case: 'password empty', body: { password: '' }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /empty|at least 8/ },
      {
        case: 'password of 129 characters',
        body: { password: 'xK9#'.repeat(32) + 'z' },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /at most 128/,
      },
      {
        case: 'password of 129 code points outside the BMP',
        body: { password: '\u{1F600}'.repeat(129) },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /at most 128/,
      },
      {
        case: 'password far over the input cap',
        body: { password: 'xK9#'.repeat(1000) },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /at most/,
      },
      { case: 'the common password "password123"', body: { password: 'password123' }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /common/ },
      { case: 'the common password "qwertyuiop"', body: { password: 'qwertyuiop' }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /common/ },
      { case: 'a common password in upper case', body: { password: 'PASSWORD123' }, code: 'INVALID_PARAM_PASSWORD', field: 'password', rule: /common/ },
      {
        case: 'password containing the email local part',
        body: { userName: `${localPart}@example.com`, password: `my-${localPart}-2024` },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /user name|email/,
      },
      {
        case: 'password equal to the email',
        body: { userName: otherEmail, password: otherEmail },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /user name|email/,
      },
      {
        case: 'password containing the first name',
        body: { firstName: 'Bartholomew', password: 'Bartholomew!2024xyz' },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /first or last name/,
      },
      {
        case: 'password containing the last name',
        body: { lastName: 'Vanderbilt', password: 'zz-vanderbilt-zz-77' },
        code: 'INVALID_PARAM_PASSWORD',
        field: 'password',
        rule: /first or last name/,
      },
      { case: 'firstName missing', body: { firstName: undefined }, code: 'INVALID_PARAM_FIRST_NAME', field: 'firstName', rule: /required/ },
      { case: 'firstName of 1 character', body: { firstName: 'J' }, code: 'INVALID_PARAM_FIRST_NAME', field: 'firstName', rule: /at least 2/ },
      { case: 'firstName of 61 characters', body: { firstName: 'J'.repeat(61) }, code: 'INVALID_PARAM_FIRST_NAME', field: 'firstName', rule: /at most 60/ },
      { case: 'lastName missing', body: { lastName: undefined }, code: 'INVALID_PARAM_LAST_NAME', field: 'lastName', rule: /required/ },
      { case: 'lastName of 1 character', body: { lastName: 'D' }, code: 'INVALID_PARAM_LAST_NAME', field: 'lastName', rule: /at least 2/ },
      { case: 'lastName of 61 characters', body: { lastName: 'D'.repeat(61) }, code: 'INVALID_PARAM_LAST_NAME', field: 'lastName', rule: /at most 60/ },
      {
        case: 'phoneNumber of 16 characters',
        body: { phoneNumber: '+' + '1'.repeat(15) },
        code: 'INVALID_PARAM_PHONE_NUMBER',
        field: 'phoneNumber',
        rule: /at most 15/,
      },
    ])('should answer 400 $code for $case', async ({ body, code, field, rule }) => {
      const request = registerBody(body);

      const reply = await register(request);

      const error = expectFailure(reply, 400, code);
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
      expect(error.message).toMatch(rule);
      expect(reply.body.errors).toHaveLength(1);
      if (typeof request.password === 'string' && request.password.length >= 8) {
        expect(reply.text).not.toContain(request.password);
      }
      if (typeof request.userName === 'string' && request.userName.includes('@')) {
        expect(await tenantCountFor(request.userName)).toBe(0);
      }
    });

    it('should name the 128-character limit when a password is longer than the 512-character input cap', async () => {
      const reply = await register(registerBody({ password: 'x'.repeat(600) }));
      const error = expectFailure(reply, 400, 'INVALID_PARAM_PASSWORD');
      expect(error.message).toBe('password must be at most 128 characters long');
    });

    it('should report every invalid field, the first code equal to the status', async () => {
      const reply = await register({ userName: 'nope', password: 'long enough passphrase 9', firstName: 'J', lastName: 'D'.repeat(61), phoneNumber: '1'.repeat(16) });

      expectFailure(reply, 400, 'INVALID_PARAM_USER_NAME');
      const errors = reply.body.errors ?? [];
      expect(errors.map((error) => [error.code, error.field])).toEqual([
        ['INVALID_PARAM_USER_NAME', 'userName'],
        ['INVALID_PARAM_FIRST_NAME', 'firstName'],
        ['INVALID_PARAM_LAST_NAME', 'lastName'],
        ['INVALID_PARAM_PHONE_NUMBER', 'phoneNumber'],
      ]);
      expect(reply.body.status).toBe(errors[0].code);
      for (const error of errors) expect(error.message.length).toBeGreaterThan(0);
    });

    it('should report missing fields of an empty object one entry each', async () => {
      const reply = await register({});

      expectFailure(reply, 400, 'INVALID_PARAM_USER_NAME');
      expect(new Set((reply.body.errors ?? []).map((error) => error.code))).toEqual(
        new Set(['INVALID_PARAM_USER_NAME', 'INVALID_PARAM_PASSWORD', 'INVALID_PARAM_FIRST_NAME', 'INVALID_PARAM_LAST_NAME']),
      );
    });

    it('should not echo a rejected password in the message', async () => {
      const password = 'password123';

      const reply = await register(registerBody({ password }));

      expectFailure(reply, 400, 'INVALID_PARAM_PASSWORD');
      expect(reply.text).not.toContain(password);
    });
  });

  describe('UNAUTHORIZED', () => {
    it.each(REFUSED_API_KEYS)('should answer 401 UNAUTHORIZED $case and create nothing', async ({ key }) => {
      const body = registerBody();

      const reply = await register(body, await key());

      expectFailure(reply, 401, 'UNAUTHORIZED');
      expect(await tenantCountFor(String(body.userName))).toBe(0);
    });

    it('should answer 401 UNAUTHORIZED for an empty X-API-Key header', async () => {
      const reply = await callRegister(registerBody(), { headers: { 'X-API-Key': '' } });

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });

    it('should check the key before the body', async () => {
      const reply = await register({ userName: 'nope' }, null);

      expectFailure(reply, 401, 'UNAUTHORIZED');
    });
  });

  describe('no row after a rejection', () => {
    it.each([
      { case: 'a policy violation', body: { password: 'password123' }, status: 400, code: 'INVALID_PARAM_PASSWORD' },
      { case: 'a short first name', body: { firstName: 'J' }, status: 400, code: 'INVALID_PARAM_FIRST_NAME' },
      { case: 'a long phone number', body: { phoneNumber: '1'.repeat(16) }, status: 400, code: 'INVALID_PARAM_PHONE_NUMBER' },
    ])('should store no tenant after $case', async ({ body, status, code }) => {
      const request = registerBody(body);

      const reply = await register(request);

      expectFailure(reply, status, code);
      expect(await tenantCountFor(String(request.userName))).toBe(0);
    });
  });
});
