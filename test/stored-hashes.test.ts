import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { freshPassphrase, uniqueEmail } from './support/builders';
import { insertTenant, tenantRow, tenantState } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { IMPORTED_HASH, IMPORTED_PASSWORD } from './support/imported-hash';
import {
  changePassword,
  createApiKey,
  login,
  loginReply,
  registerTenant,
  requestStamp,
  type TestTenant,
} from './support/tenants';

const PEPPER = 'test-pepper-0123456789abcdef0123456789';
const withPepper = { ...env, PASSWORD_PEPPER: PEPPER } as Env;

const storedHash = async (id: string) => (await tenantRow(id))!.password_hash;

/** A tenant row as a migration from the .NET back end would leave it. */
async function importTenant(passwordHash: string): Promise<TestTenant> {
  const tenant = {
    id: crypto.randomUUID().toUpperCase(),
    business: 'default',
    userName: uniqueEmail(),
    password: IMPORTED_PASSWORD,
    firstName: 'Ima',
    lastName: 'Ported',
    apiKey: await createApiKey(),
  };
  await insertTenant({ ...tenant, passwordHash });
  return tenant;
}

describe('stored password hashes', () => {
  it('should log in with an imported ASP.NET Core Identity V3 hash and upgrade it to the current format', async () => {
    const tenant = await importTenant(IMPORTED_HASH);

    expectSuccess(await loginReply(tenant));

    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512\$100000\$/);
    expectSuccess(await loginReply(tenant));
  });

  it('should give an imported tenant its one salt at the login that upgrades the hash', async () => {
    const tenant = await importTenant(IMPORTED_HASH);
    expect((await tenantRow(tenant.id))!.password_salt).toBeNull();

    expectSuccess(await loginReply(tenant));

    const row = await tenantRow(tenant.id);
    expect(row!.password_salt).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(row!.password_hash!.split('$')[2]).toBe(row!.password_salt);
  });

  it('should refuse a wrong password against an imported hash, and leave the hash as it was', async () => {
    const tenant = await importTenant(IMPORTED_HASH);
    expectFailure(await loginReply(tenant, { password: 'Imported-Pa55word?' }), 401, 'INVALID_CREDENTIALS');
    expect(await storedHash(tenant.id)).toBe(IMPORTED_HASH);
  });

  it('should change the password of a tenant whose hash was imported', async () => {
    const tenant = await importTenant(IMPORTED_HASH);
    const token = await login(tenant);
    await tenantState.setPasswordHash(tenant.id, IMPORTED_HASH);
    const newPassword = freshPassphrase();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword,
      concurrencyStamp: await requestStamp(tenant, token),
    });
    expectSuccess(reply);
    await login(tenant, newPassword);
    const row = await tenantRow(tenant.id);
    expect(row!.password_salt).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(row!.password_hash!.split('$')[2]).toBe(row!.password_salt);
  });

  it('should fail closed, not answer "wrong password", when a stored hash is malformed', async () => {
    const tenant = await importTenant('pbkdf2-sha512$5000000$AAAA$AAAA');
    const reply = await loginReply(tenant);
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(reply.text).not.toMatch(/pbkdf2|iterations|hash/i);
  });

  it('should pepper new hashes when PASSWORD_PEPPER is set, and fail closed if it goes missing', async () => {
    const tenant = await registerTenant({ password: freshPassphrase(), firstName: 'Pep', lastName: 'Per' }, { env: withPepper });
    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512-peppered\.[0-9a-f]{8}\$100000\$/);

    expectSuccess(await loginReply(tenant, { env: withPepper }));
    const withoutPepper = await loginReply(tenant);
    expectFailure(withoutPepper, 500, 'SOMETHING_WENT_WRONG');
    expect(withoutPepper.text).not.toContain(PEPPER);
  });

  it('should pepper an existing hash at the next login once a pepper is configured', async () => {
    const tenant = await registerTenant();
    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512\$/);
    expectSuccess(await loginReply(tenant, { env: withPepper }));
    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512-peppered\.[0-9a-f]{8}\$/);
    expectSuccess(await loginReply(tenant, { env: withPepper }));
  });
});
