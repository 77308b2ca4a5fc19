import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  call,
  changePassword,
  createApiKey,
  expectFailure,
  expectSuccess,
  login,
  newPasswordFor,
  registerTenant,
  requestStamp,
  uniqueEmail,
  type TestTenant,
} from './helpers';

// An ASP.NET Core Identity V3 hash (HMAC-SHA-512, 100,000 iterations) of 'Imported-Pa55word!', made with Node's crypto.
const IMPORTED_HASH = 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==';
const PEPPER = 'test-pepper-0123456789abcdef0123456789';
const withPepper = { ...env, PASSWORD_PEPPER: PEPPER } as Env;

async function storedHash(id: string): Promise<string> {
  const row = await env.DB.prepare('SELECT password_hash FROM tenants WHERE id = ?').bind(id).first<{ password_hash: string }>();
  return row!.password_hash;
}

/** A tenant row as a migration from the .NET back end would leave it. */
async function importTenant(passwordHash: string): Promise<TestTenant> {
  const tenant = {
    id: crypto.randomUUID().toUpperCase(),
    userName: uniqueEmail(),
    password: 'Imported-Pa55word!',
    firstName: 'Ima',
    lastName: 'Ported',
    apiKey: await createApiKey(),
  };
  await env.DB.prepare(
    'INSERT INTO tenants (id, user_name, first_name, last_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  )
    .bind(tenant.id, tenant.userName, tenant.firstName, tenant.lastName, passwordHash, Date.now())
    .run();
  return tenant;
}

const loginReply = (tenant: TestTenant, options: { env?: Env; password?: string } = {}) =>
  call('/v1/login', {
    method: 'POST',
    apiKey: tenant.apiKey,
    body: { userName: tenant.userName, password: options.password ?? tenant.password },
    env: options.env,
  });

describe('stored password hashes', () => {
  it('should log in with an imported ASP.NET Core Identity V3 hash and upgrade it to the current format', async () => {
    const tenant = await importTenant(IMPORTED_HASH);

    expectSuccess(await loginReply(tenant));

    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512\$100000\$/);
    expectSuccess(await loginReply(tenant));
  });

  it('should refuse a wrong password against an imported hash, and leave the hash as it was', async () => {
    const tenant = await importTenant(IMPORTED_HASH);
    expectFailure(await loginReply(tenant, { password: 'Imported-Pa55word?' }), 401, 'INVALID_CREDENTIALS');
    expect(await storedHash(tenant.id)).toBe(IMPORTED_HASH);
  });

  it('should change the password of a tenant whose hash was imported', async () => {
    const tenant = await importTenant(IMPORTED_HASH);
    const token = await login(tenant);
    await env.DB.prepare('UPDATE tenants SET password_hash = ? WHERE id = ?').bind(IMPORTED_HASH, tenant.id).run();
    const newPassword = newPasswordFor();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword,
      concurrencyStamp: await requestStamp(tenant, token),
    });
    expectSuccess(reply);
    await login(tenant, newPassword);
  });

  it('should fail closed, not answer "wrong password", when a stored hash is malformed', async () => {
    const tenant = await importTenant('pbkdf2-sha512$5000000$AAAA$AAAA');
    const reply = await loginReply(tenant);
    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(reply.text).not.toMatch(/pbkdf2|iterations|hash/i);
  });

  it('should pepper new hashes when PASSWORD_PEPPER is set, and fail closed if it goes missing', async () => {
    const apiKey = await createApiKey();
    const tenant = { userName: uniqueEmail(), password: newPasswordFor(), firstName: 'Pep', lastName: 'Per', apiKey };
    const registered = await call<string>('/v1/register', { method: 'POST', apiKey, body: tenant, env: withPepper });
    const id = expectSuccess(registered, 201);
    expect(await storedHash(id)).toMatch(/^pbkdf2-sha512-peppered\$100000\$/);

    expectSuccess(await loginReply({ ...tenant, id }, { env: withPepper }));
    const withoutPepper = await loginReply({ ...tenant, id });
    expectFailure(withoutPepper, 500, 'SOMETHING_WENT_WRONG');
    expect(withoutPepper.text).not.toContain(PEPPER);
  });

  it('should pepper an existing hash at the next login once a pepper is configured', async () => {
    const tenant = await registerTenant();
    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512\$/);
    expectSuccess(await loginReply(tenant, { env: withPepper }));
    expect(await storedHash(tenant.id)).toMatch(/^pbkdf2-sha512-peppered\$/);
    expectSuccess(await loginReply(tenant, { env: withPepper }));
  });
});
