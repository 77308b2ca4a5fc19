import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { pepperId } from '../src/auth/password';
import { changeBody, freshPassphrase, wrongPassword } from './support/builders';
import { captureConsoleLines } from './support/console-lines';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { changePassword, loginReply, registerTenant, stampReply, type TestTenant } from './support/tenants';

const PEPPER_A = 'pepper-a-0123456789abcdef0123456789abcdef';
const PEPPER_B = 'pepper-b-fedcba9876543210fedcba9876543210';

/** The Worker's env with these pepper secrets, as `wrangler secret put` or deploy would set them. */
const peppered = (current: string, previous?: string) =>
  ({ ...env, PASSWORD_PEPPER: current, ...(previous ? { PASSWORD_PEPPER_PREVIOUS: previous } : {}) }) as Env;
const UNDER_A = peppered(PEPPER_A);
const ROTATING = peppered(PEPPER_B, PEPPER_A);
const UNDER_B = peppered(PEPPER_B);

const storedHash = async (id: string) => (await tenantRow(id))!.password_hash!;
const schemeOf = (hash: string) => hash.split('$')[0];

async function loggedInToken(tenant: TestTenant, bindings: Env): Promise<string> {
  return expectSuccess(await loginReply(tenant, { env: bindings })).token;
}

describe('pepper rotation', () => {
  const lines = captureConsoleLines();

  it('should log in a tenant of pepper A after the rotation to B, rehash it under B, and keep logging it in once A is gone', async () => {
    const tenant = await registerTenant({ password: freshPassphrase() }, { env: UNDER_A });
    expect(schemeOf(await storedHash(tenant.id))).toBe(`pbkdf2-sha512-peppered.${await pepperId(PEPPER_A)}`);

    expectSuccess(await loginReply(tenant, { env: ROTATING }));
    expect(schemeOf(await storedHash(tenant.id))).toBe(`pbkdf2-sha512-peppered.${await pepperId(PEPPER_B)}`);

    expectSuccess(await loginReply(tenant, { env: UNDER_B }));
  });

  it('should not rehash on a wrong password during the rotation', async () => {
    const tenant = await registerTenant({ password: freshPassphrase() }, { env: UNDER_A });
    const before = await storedHash(tenant.id);

    expectFailure(await loginReply(tenant, { env: ROTATING, password: wrongPassword() }), 401, 'INVALID_CREDENTIALS');

    expect(await storedHash(tenant.id)).toBe(before);
  });

  it('should fail closed with an operator error in the log, naming no pepper, when the previous pepper is missing', async () => {
    const tenant = await registerTenant({ password: freshPassphrase() }, { env: UNDER_A });

    const reply = await loginReply(tenant, { env: UNDER_B });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    const logged = lines.join('\n');
    expect(logged).toContain(`PepperMismatchError: stored hash needs pepper ${await pepperId(PEPPER_A)}`);
    expect(logged).toContain('set the old pepper as PASSWORD_PEPPER_PREVIOUS');
    for (const text of [logged, reply.text]) {
      expect(text).not.toContain(PEPPER_A);
      expect(text).not.toContain(PEPPER_B);
    }
  });

  it('should change the password during the rotation under B, and change it again once A is gone', async () => {
    const tenant = await registerTenant({ password: freshPassphrase() }, { env: UNDER_A });
    const token = await loggedInToken(tenant, UNDER_A);
    const stamp = expectSuccess(await stampReply(tenant, token));
    const first = freshPassphrase();

    expectSuccess(await changePassword(tenant, token, changeBody(tenant.password, stamp, { newPassword: first }), { env: ROTATING }));
    expect(schemeOf(await storedHash(tenant.id))).toBe(`pbkdf2-sha512-peppered.${await pepperId(PEPPER_B)}`);

    // The history now holds a hash of pepper A, which no configured pepper can check: it is passed over.
    const nextStamp = expectSuccess(await stampReply(tenant, token));
    const body = changeBody(first, nextStamp, { newPassword: freshPassphrase() });
    expectSuccess(await changePassword(tenant, token, body, { env: UNDER_B }));
  });
});
