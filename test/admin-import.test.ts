import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { hashPassword, pepperId } from '../src/auth/password';
import { freshPassphrase, strongPassword, uniqueEmail } from './support/builders';
import { tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1 } from './support/faults';
import {
  IMPORT_HASHES,
  IMPORTED_PASSWORD,
  importEntry,
  importReply,
  NATIVE_HASH,
  NATIVE_PASSWORD,
  type ImportData,
  type ImportEntry,
} from './support/imports';
import { derivationsDuring } from './support/pbkdf2-limit';
import { rememberSecret } from './support/secret-watch';
import { recordingStoreCalls } from './support/store-calls';
import {
  changePassword,
  createApiKey,
  loginReply,
  registerTenant,
  rememberLogin,
  requestStamp,
  uniqueBusiness,
  type TestTenant,
} from './support/tenants';
import { changeBody } from './support/builders';

/** A business of its own with a server key, so nothing another test imports can reach it. */
async function serverKeyOfNewBusiness() {
  const business = uniqueBusiness();
  return { business, apiKey: await createApiKey({ business, kind: 'server' }) };
}

async function importOk(apiKey: string, tenants: unknown[], options: { env?: Env } = {}): Promise<ImportData> {
  return expectSuccess(await importReply(apiKey, { tenants }, options), 200);
}

const tenantsOfBusiness = async (business: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM tenants WHERE business_id = ?').bind(business).first<{ n: number }>())!.n;

/** The imported entry as a tenant the test helpers can log in. */
const asTenant = (entry: ImportEntry, id: string, business: string, apiKey: string, password: string): TestTenant => ({
  id,
  business,
  apiKey,
  password,
  userName: entry.userName as string,
  firstName: entry.firstName as string,
  lastName: entry.lastName as string,
});

describe('POST /v1/admin/tenants/import: who may import, and where', () => {
  it('should refuse a publishable key with 403 KEY_NOT_ALLOWED before any store call', async () => {
    const business = uniqueBusiness();
    const apiKey = await createApiKey({ business });
    const { bindings, calls } = recordingStoreCalls();

    const reply = await importReply(apiKey, { tenants: [importEntry()] }, { env: bindings });

    expectFailure(reply, 403, 'KEY_NOT_ALLOWED');
    expect(calls).toEqual([]);
    expect(await tenantsOfBusiness(business)).toBe(0);
  });

  it('should import into the key\'s own business only, leaving another business\'s tenant of the same user name alone', async () => {
    const other = await registerTenant({ business: uniqueBusiness() });
    const before = await tenantRow(other.id);
    const { business, apiKey } = await serverKeyOfNewBusiness();

    const data = await importOk(apiKey, [importEntry({ userName: other.userName })]);

    expect(data.skipped).toEqual([]);
    const row = await tenantRow(data.imported[0].id);
    expect(row).toMatchObject({ business_id: business, user_name: other.userName, password_salt: null });
    expect(await tenantRow(other.id)).toEqual(before);
    expectSuccess(await loginReply(other));
  });

  it('should answer 401 UNAUTHORIZED without a key, and with a revoked server key', async () => {
    expectFailure(await importReply(null, { tenants: [importEntry()] }), 401, 'UNAUTHORIZED');
    const revoked = await createApiKey({ kind: 'server', revoked: true });
    expectFailure(await importReply(revoked, { tenants: [importEntry()] }), 401, 'UNAUTHORIZED');
  });
});

describe('POST /v1/admin/tenants/import: what is imported and what skipped', () => {
  it('should import valid entries with their ids, normalizing user names like a registration', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const mixed = `  Jane.${crypto.randomUUID()}@Example.COM `;

    const data = await importOk(apiKey, [importEntry(), importEntry({ userName: mixed, phoneNumber: null }), importEntry({ phoneNumber: undefined })]);

    expect(data.skipped).toEqual([]);
    expect(data.imported.map((entry) => entry.index)).toEqual([0, 1, 2]);
    const row = await tenantRow(data.imported[1].id);
    expect(row).toMatchObject({ user_name: mixed.trim().toLowerCase(), phone_number: null, first_name: 'Ima', last_name: 'Ported' });
    expect(row!.password_hash).toBe(IMPORT_HASHES.v3Sha512);
    expect(await tenantsOfBusiness(business)).toBe(3);
  });

  it('should skip a user name the business has, and a second entry of the same user name, with USER_ALREADY_EXISTS', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const registered = await registerTenant({ business, apiKey: await createApiKey({ business }) });
    const twice = uniqueEmail();

    const data = await importOk(apiKey, [
      importEntry({ userName: twice }),
      importEntry({ userName: registered.userName.toUpperCase() }),
      importEntry({ userName: ` ${twice.toUpperCase()}` }),
      importEntry(),
    ]);

    expect(data.imported.map((entry) => entry.index)).toEqual([0, 3]);
    expect(data.skipped.map(({ index, code }) => ({ index, code }))).toEqual([
      { index: 1, code: 'USER_ALREADY_EXISTS' },
      { index: 2, code: 'USER_ALREADY_EXISTS' },
    ]);
    expectSuccess(await loginReply(registered));
    expect(await tenantsOfBusiness(business)).toBe(3);
  });

  it('should import nothing the second time the same list is imported', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const list = [importEntry(), importEntry(), importEntry({ passwordHash: 'not a hash' })];

    const first = await importOk(apiKey, list);
    const second = await importOk(apiKey, list);

    expect(first.imported).toHaveLength(2);
    expect(second.imported).toEqual([]);
    expect(second.skipped.map(({ index, code }) => ({ index, code }))).toEqual([
      { index: 0, code: 'USER_ALREADY_EXISTS' },
      { index: 1, code: 'USER_ALREADY_EXISTS' },
      { index: 2, code: 'INVALID_PARAM_PASSWORD_HASH' },
    ]);
    expect(await tenantsOfBusiness(business)).toBe(2);
  });

  const malformed: { case: string; entry: unknown; code: string }[] = [
    { case: 'a user name that is no email', entry: importEntry({ userName: 'not-an-email' }), code: 'INVALID_PARAM_USER_NAME' },
    { case: 'no user name', entry: importEntry({ userName: undefined }), code: 'INVALID_PARAM_USER_NAME' },
    { case: 'a user name of 101 characters', entry: importEntry({ userName: `${'a'.repeat(89)}@example.com` }), code: 'INVALID_PARAM_USER_NAME' },
    { case: 'a number as user name', entry: importEntry({ userName: 42 }), code: 'INVALID_PARAM_USER_NAME' },
    { case: 'a first name of one character', entry: importEntry({ firstName: 'I' }), code: 'INVALID_PARAM_FIRST_NAME' },
    { case: 'no first name', entry: importEntry({ firstName: undefined }), code: 'INVALID_PARAM_FIRST_NAME' },
    { case: 'a last name with a control character', entry: importEntry({ lastName: 'Por\u0000ted' }), code: 'INVALID_PARAM_LAST_NAME' },
    { case: 'a last name of 61 characters', entry: importEntry({ lastName: 'x'.repeat(61) }), code: 'INVALID_PARAM_LAST_NAME' },
    { case: 'a phone number of 16 characters', entry: importEntry({ phoneNumber: '+' + '1'.repeat(15) }), code: 'INVALID_PARAM_PHONE_NUMBER' },
    { case: 'no password hash', entry: importEntry({ passwordHash: undefined }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    { case: 'an empty password hash', entry: importEntry({ passwordHash: '' }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    { case: 'a password hash of 513 characters', entry: importEntry({ passwordHash: 'A'.repeat(513) }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    { case: 'a plain-text password as hash', entry: importEntry({ passwordHash: 'Imported-Pa55word!' }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    { case: 'a hash that is not base64', entry: importEntry({ passwordHash: 'AQAAAAIAAYagAAAAE!==' }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    {
      case: 'an ASP.NET Identity V2 hash (version byte 0x00)',
      entry: importEntry({ passwordHash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
      code: 'INVALID_PARAM_PASSWORD_HASH',
    },
    {
      case: 'a V3 hash of an unknown PRF',
      entry: importEntry({ passwordHash: 'AQAAAAMAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==' }),
      code: 'INVALID_PARAM_PASSWORD_HASH',
    },
    {
      case: 'a V3 hash whose salt length runs past its end',
      entry: importEntry({ passwordHash: 'AQAAAAIAAYagAAAA/PDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==' }),
      code: 'INVALID_PARAM_PASSWORD_HASH',
    },
    { case: 'a V3 hash above the 100,000 iteration ceiling', entry: importEntry({ passwordHash: IMPORT_HASHES.v3AboveCeiling }), code: 'INVALID_PARAM_PASSWORD_HASH' },
    { case: 'a number', entry: 42, code: 'INVALID_PARAM_TENANTS' },
    { case: 'null', entry: null, code: 'INVALID_PARAM_TENANTS' },
    { case: 'an array', entry: [importEntry()], code: 'INVALID_PARAM_TENANTS' },
    { case: 'a string', entry: 'jane@example.com', code: 'INVALID_PARAM_TENANTS' },
  ];

  it.each(malformed)('should skip an entry with $case as $code and import the others', async ({ entry, code }) => {
    const { business, apiKey } = await serverKeyOfNewBusiness();

    const reply = await importReply(apiKey, { tenants: [importEntry(), entry, importEntry()] });

    const data = expectSuccess(reply, 200);
    expect(data.imported.map((imported) => imported.index)).toEqual([0, 2]);
    expect(data.skipped).toEqual([{ index: 1, code, message: expect.any(String) }]);
    expect(await tenantsOfBusiness(business)).toBe(2);
    for (const hash of Object.values(IMPORT_HASHES)) expect(reply.text).not.toContain(hash);
  });

  it('should never quote a hash, nor any field, in a skip message', async () => {
    const { apiKey } = await serverKeyOfNewBusiness();
    const secretish = rememberSecret('AQAAAAIAAYagAAAA/secret-looking-value');

    const reply = await importReply(apiKey, { tenants: [importEntry({ passwordHash: secretish }), importEntry({ passwordHash: IMPORT_HASHES.v3AboveCeiling })] });

    expect(expectSuccess(reply).skipped).toHaveLength(2);
    expect(reply.text).not.toContain(secretish);
    expect(reply.text).not.toContain(IMPORT_HASHES.v3AboveCeiling);
  });
});

describe('POST /v1/admin/tenants/import: hashes in this service\'s own format', () => {
  it('should import an unpeppered hash of its own format, which then logs in', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const entry = importEntry({ passwordHash: NATIVE_HASH });

    const [{ id }] = (await importOk(apiKey, [entry])).imported;

    const publishable = await createApiKey({ business });
    expectSuccess(await loginReply(asTenant(entry, id, business, publishable, NATIVE_PASSWORD)));
  });

  it('should import a peppered hash only when its pepper is configured here', async () => {
    const pepper = 'import-test-pepper-0123456789abcdef0123';
    const peppered = rememberSecret(await hashPassword(NATIVE_PASSWORD, { current: pepper }));
    const withPepper = envWith({ PASSWORD_PEPPER: pepper } as Partial<Env>);
    const withOtherPepper = envWith({ PASSWORD_PEPPER: 'another-pepper-of-enough-length-0123456789' } as Partial<Env>);
    const { business, apiKey } = await serverKeyOfNewBusiness();

    const without = await importOk(apiKey, [importEntry({ passwordHash: peppered })]);
    const other = await importOk(apiKey, [importEntry({ passwordHash: peppered })], { env: withOtherPepper });
    const entry = importEntry({ passwordHash: peppered });
    const matching = await importOk(apiKey, [entry], { env: withPepper });

    expect(without.skipped[0]).toMatchObject({ code: 'INVALID_PARAM_PASSWORD_HASH' });
    expect(other.skipped[0]).toMatchObject({ code: 'INVALID_PARAM_PASSWORD_HASH' });
    expect(other.skipped[0].message).not.toContain(await pepperId(pepper));
    const tenant = asTenant(entry, matching.imported[0].id, business, await createApiKey({ business }), NATIVE_PASSWORD);
    expectSuccess(await loginReply(tenant, { env: withPepper }));
  });
});

describe('POST /v1/admin/tenants/import: the size of a call', () => {
  const many = (count: number) => Array.from({ length: count }, (_, i) => importEntry({ userName: `t${i}-${crypto.randomUUID()}@example.com` }));

  it('should take 1,000 entries in one call (a body over 16 KiB), deriving no password at all', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const tenants = many(1000);
    const body = JSON.stringify({ tenants });
    expect(body.length).toBeGreaterThan(16 * 1024);

    let data: ImportData | undefined;
    const derivations = await derivationsDuring(async () => {
      data = await importOk(apiKey, tenants);
    });

    expect(derivations).toEqual([]);
    expect(data!.imported).toHaveLength(1000);
    expect(data!.imported.map((entry) => entry.index)).toEqual(tenants.map((_, i) => i));
    expect(await tenantsOfBusiness(business)).toBe(1000);
  });

  it('should import 1,000 entries in one D1 call', async () => {
    const { apiKey } = await serverKeyOfNewBusiness();
    const { bindings, calls } = recordingStoreCalls();

    await importOk(apiKey, many(1000), { env: bindings });

    expect(calls).toHaveLength(1);
  });

  it.each([
    { case: '1,001 entries', tenants: () => many(1001) },
    { case: 'no entry', tenants: () => [] },
    { case: 'an object instead of a list', tenants: () => ({ 0: importEntry() }) },
    { case: 'a string instead of a list', tenants: () => 'tenants.json' },
    { case: 'null', tenants: () => null },
  ])('should refuse $case with 400 INVALID_PARAM_TENANTS, importing nothing', async ({ tenants }) => {
    const { business, apiKey } = await serverKeyOfNewBusiness();

    const error = expectFailure(await importReply(apiKey, { tenants: tenants() }), 400, 'INVALID_PARAM_TENANTS');

    expect(error.field).toBe('tenants');
    expect(await tenantsOfBusiness(business)).toBe(0);
  });

  it('should refuse a body without tenants with 400 INVALID_PARAM_TENANTS', async () => {
    const { apiKey } = await serverKeyOfNewBusiness();

    expectFailure(await importReply(apiKey, { users: [importEntry()] }), 400, 'INVALID_PARAM_TENANTS');
  });

  it.each(['[]', '"tenants"', 'null', '{"tenants": [', 'x'])('should refuse the body %s with 400 FAILED', async (body) => {
    const { apiKey } = await serverKeyOfNewBusiness();

    expectFailure(await importReply(apiKey, body), 400, 'FAILED');
  });

  it('should refuse a body over 1 MiB with 413 FAILED, while other routes keep 16 KiB', async () => {
    const { apiKey } = await serverKeyOfNewBusiness();
    const padded = { tenants: [importEntry()], padding: 'x'.repeat(1024 * 1024) };

    const error = expectFailure(await importReply(apiKey, padded), 413, 'FAILED');

    expect(error.message).toContain(String(1024 * 1024));
    const justOver16KiB = { tenants: [importEntry()], padding: 'x'.repeat(17 * 1024) };
    expectSuccess(await importReply(apiKey, justOver16KiB));
  });
});

describe('POST /v1/admin/tenants/import: failures', () => {
  it('should answer 500 and write nothing when D1 fails, and a retry of the same call imports everything', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const tenants = [importEntry(), importEntry(), importEntry()];
    let boundValues: unknown[] = [];
    const failing = envWith({ DB: faultyD1({ failOn: /^\s*insert into "tenants"/, onFault: (values) => void (boundValues = values) }) });

    const reply = await importReply(apiKey, { tenants }, { env: failing });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(reply.text).not.toContain(IMPORT_HASHES.v3Sha512);
    expect(boundValues.length).toBeGreaterThan(0);
    expect(await tenantsOfBusiness(business)).toBe(0);
    expect((await importOk(apiKey, tenants)).imported).toHaveLength(3);
  });

  it('should converge when D1 committed but reported a failure: the retry skips what the failed call wrote', async () => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const tenants = [importEntry(), importEntry()];
    const failing = envWith({ DB: faultyD1({ failOn: /^\s*insert into "tenants"/, afterCommit: true }) });

    expectFailure(await importReply(apiKey, { tenants }, { env: failing }), 500, 'SOMETHING_WENT_WRONG');
    const retry = await importOk(apiKey, tenants);

    expect(retry.skipped.map((entry) => entry.code)).toEqual(['USER_ALREADY_EXISTS', 'USER_ALREADY_EXISTS']);
    expect(await tenantsOfBusiness(business)).toBe(2);
  });
});

describe('imported tenants at their first login', () => {
  it.each([
    { case: 'an ASP.NET Core Identity V3 hash, HMAC-SHA-256 and 10,000 iterations', hash: IMPORT_HASHES.v3Sha256 },
    { case: 'an ASP.NET Core Identity V3 hash, HMAC-SHA-512 and 100,000 iterations', hash: IMPORT_HASHES.v3Sha512 },
  ])('should log in with the old password on $case, upgrade the hash, issue a device token and allow a change', async ({ hash }) => {
    const { business, apiKey } = await serverKeyOfNewBusiness();
    const entry = importEntry({ passwordHash: hash });
    const [{ id }] = (await importOk(apiKey, [entry])).imported;
    const tenant = asTenant(entry, id, business, await createApiKey({ business }), IMPORTED_PASSWORD);

    expectFailure(await loginReply(tenant, { password: strongPassword() }), 401, 'INVALID_CREDENTIALS');
    const session = rememberLogin(expectSuccess(await loginReply(tenant)));

    expect(session.deviceToken).toBeTruthy();
    expect(session.authContactBookInfo).toMatchObject({ id, email: entry.userName, firstName: 'Ima', lastName: 'Ported' });
    const upgraded = await tenantRow(id);
    expect(upgraded!.password_hash).toMatch(/^pbkdf2-sha512\$100000\$/);
    expect(upgraded!.password_salt).not.toBeNull();
    const stamp = await requestStamp(tenant, session.token);
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, session.token, changeBody(IMPORTED_PASSWORD, stamp, { newPassword })));
    expectSuccess(await loginReply({ ...tenant, password: newPassword }));
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
  });
});
