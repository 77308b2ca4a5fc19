import { describe, expect, it } from 'vitest';
import { freshPassphrase } from './support/builders';
import { tenantRow, tenantState } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import { changePassword, login, registerTenant, requestStamp, stampReply, tenantReadyToChange } from './support/tenants';

const UPPER_CASE_GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

describe('GET /v1/tenant/profile/change-password/request', () => {
  it('should issue an upper-case GUID stamp, not cacheable', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const reply = await stampReply(tenant, token);
    const stamp = expectSuccess(reply);
    expect(stamp).toMatch(UPPER_CASE_GUID);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    expect((await tenantRow(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should answer the live stamp again, to any session of the tenant, and renew its lifetime', async () => {
    const { tenant, token, stamp: first, body } = await tenantReadyToChange();
    const other = await login(tenant);
    const almostExpired = Date.now() - 9 * 60_000;
    await tenantState.setStampIssuedAt(tenant.id, almostExpired);

    expect(await requestStamp(tenant, other)).toBe(first);
    expect(await requestStamp(tenant, token)).toBe(first);

    expect((await tenantRow(tenant.id))?.concurrency_stamp_issued_at).toBeGreaterThan(almostExpired + 60_000);
    expectSuccess(await changePassword(tenant, token, body()));
  });

  it('should issue a new stamp once the live one has expired or been used', async () => {
    const { tenant, token, stamp: first, body } = await tenantReadyToChange();
    await tenantState.setStampIssuedAt(tenant.id, Date.now() - 11 * 60_000);
    const second = await requestStamp(tenant, token);
    expect(second).not.toBe(first);
    expectFailure(await changePassword(tenant, token, body()), 409, 'CHANGE_PASSWORD_FAILED');

    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ concurrencyStamp: second, newPassword })));
    const third = await requestStamp(tenant, token);

    expect(third).not.toBe(second);
    expectSuccess(await changePassword(tenant, token, { existingPassword: newPassword, newPassword: freshPassphrase(), concurrencyStamp: third }));
  });

  it.each([
    ['no key', { apiKey: null }],
    ['no token', { token: null }],
  ])('should answer UNAUTHORIZED with %s', async (_name, override) => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const reply = await stampReply(tenant, token, override);
    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it('should answer NO_RECORDS_FOUND when the tenant record is gone', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await tenantState.delete(tenant.id);
    expectFailure(await stampReply(tenant, token), 404, 'NO_RECORDS_FOUND');
  });

  it.each([
    ['disabled', tenantState.disable],
    ['without login credentials', tenantState.removeCredentials],
  ])('should answer INVALID_CONTACT_BOOK_DETAILS_INFO for a tenant %s', async (_name, alter) => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await alter(tenant.id);
    expectFailure(await stampReply(tenant, token), 409, 'INVALID_CONTACT_BOOK_DETAILS_INFO');
  });
});

describe('the stamp a change presents', () => {
  it('should be consumed by a change, so a replay fails and changes nothing', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));
    const hashAfterChange = (await tenantRow(tenant.id))?.password_hash;

    const replay = await changePassword(tenant, token, body({ existingPassword: newPassword }));

    expectFailure(replay, 409, 'CHANGE_PASSWORD_FAILED');
    expect((await tenantRow(tenant.id))?.password_hash).toBe(hashAfterChange);
    await login(tenant, newPassword);
  });

  it('should be accepted in lower case', async () => {
    const { tenant, token, stamp, body } = await tenantReadyToChange();
    expectSuccess(await changePassword(tenant, token, body({ concurrencyStamp: stamp.toLowerCase() })));
  });

  it('should be refused once it has expired', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const elevenMinutesAgo = Date.now() - 11 * 60_000;
    await tenantState.setStampIssuedAt(tenant.id, elevenMinutesAgo);
    expectFailure(await changePassword(tenant, token, body()), 409, 'CHANGE_PASSWORD_FAILED');
  });

  it("should be refused when it is another tenant's", async () => {
    const mine = await tenantReadyToChange();
    const theirs = await tenantReadyToChange();
    const reply = await changePassword(mine.tenant, mine.token, mine.body({ concurrencyStamp: theirs.stamp }));
    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
    await login(theirs.tenant);
  });

  it('should be refused without deriving when it is stale', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    let reply: Awaited<ReturnType<typeof changePassword>> | undefined;
    const derivations = await derivationsDuring(async () => {
      reply = await changePassword(tenant, token, body({ concurrencyStamp: crypto.randomUUID() }));
    });
    expectFailure(reply!, 409, 'CHANGE_PASSWORD_FAILED');
    expect(derivations).toHaveLength(0);
  });

  it.each([
    ['missing', undefined],
    ['not a GUID', 'not-a-guid'],
    ['a number', 42],
  ])('should answer INVALID_PARAM_CONCURRENCY_STAMP when concurrencyStamp is %s', async (_n, value) => {
    const { tenant, token, body } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, body({ concurrencyStamp: value }));
    expect(expectFailure(reply, 400, 'INVALID_PARAM_CONCURRENCY_STAMP').field).toBe('concurrencyStamp');
  });
});
