import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { freshPassphrase } from './support/builders';
import { tenantRow, tenantState } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import {
  changePassword,
  login,
  loginReply,
  requestStamp,
  stampReply,
  tenantReadyToChange,
  type TestTenant,
} from './support/tenants';

describe('PUT /v1/tenant/profile/change-password', () => {
  it('should change the password, keep the caller logged in and revoke every other session', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const otherSessions = await Promise.all([login(tenant), login(tenant)]);
    const newPassword = freshPassphrase();

    const reply = await changePassword(tenant, token, body({ newPassword }));

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
    await login(tenant, newPassword);
    expectSuccess(await stampReply(tenant, token));
    for (const other of otherSessions) {
      expectFailure(await stampReply(tenant, other), 401, 'UNAUTHORIZED');
    }
  });

  it('should store a PBKDF2-SHA-512 hash at 100,000 iterations, with a history and an audit row', async () => {
    const { tenant, token, stamp, body } = await tenantReadyToChange();
    const before = await tenantRow(tenant.id);
    const reply = await changePassword(tenant, token, body());
    expectSuccess(reply);

    const after = await tenantRow(tenant.id);
    expect(after?.password_hash).toMatch(/^pbkdf2-sha512\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(after?.concurrency_stamp).not.toBe(stamp);
    const history = await env.DB.prepare('SELECT password_hash FROM password_history WHERE tenant_id = ?')
      .bind(tenant.id)
      .all<{ password_hash: string }>();
    expect(history.results).toEqual([{ password_hash: before?.password_hash }]);
    const audit = await env.DB.prepare("SELECT outcome, request_id FROM audit_events WHERE tenant_id = ? AND event = 'password.change'")
      .bind(tenant.id)
      .all<{ outcome: string; request_id: string }>();
    expect(audit.results).toEqual([{ outcome: 'success', request_id: reply.headers.get('X-Request-Id') }]);
  });

  it('should refuse any of the last 5 passwords, and allow one older than that', async () => {
    const { tenant, token } = await tenantReadyToChange();
    const passwords = [tenant.password, ...Array.from({ length: 5 }, () => freshPassphrase())];
    const changeTo = async (from: string, to: string) =>
      changePassword(tenant, token, { existingPassword: from, newPassword: to, concurrencyStamp: await requestStamp(tenant, token) });
    for (let i = 1; i < passwords.length; i++) expectSuccess(await changeTo(passwords[i - 1], passwords[i]));
    const current = passwords[5];

    for (const recent of passwords.slice(2, 5)) {
      const reused = await changeTo(current, recent);
      const error = expectFailure(reused, 400, 'INVALID_PARAM_NEW_PASSWORD');
      expect(error.message).toBe('newPassword must not be one of your last 5 passwords');
      expect(error.field).toBe('newPassword');
    }
    expectFailure(await changeTo(current, passwords[1]), 400, 'INVALID_PARAM_NEW_PASSWORD');
    expectSuccess(await changeTo(current, passwords[0]));
    await login(tenant, passwords[0]);
  });

  it('should leave the stamp usable after refusing a recent password', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const first = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword: first })));
    const next = await requestStamp(tenant, token);
    const reused = await changePassword(tenant, token, { existingPassword: first, newPassword: tenant.password, concurrencyStamp: next });
    expectFailure(reused, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expectSuccess(await changePassword(tenant, token, { existingPassword: first, newPassword: freshPassphrase(), concurrencyStamp: next }));
  });

  it('should answer MISMATCH_EXISTING_PASSWORD and leave the stamp usable', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const wrong = await changePassword(tenant, token, body({ existingPassword: 'not the password at all' }));
    expect(expectFailure(wrong, 400, 'MISMATCH_EXISTING_PASSWORD').field).toBe('existingPassword');
    await login(tenant);

    expectSuccess(await changePassword(tenant, token, body()));
  });

  it.each([
    ['missing', undefined, /is required/],
    ['not a string', 12345678, /must be a string/],
    ['empty', '', /must not be empty/],
    ['too long', 'x'.repeat(513), /at most 512/],
  ])('should answer INVALID_PARAM_EXISTING_PASSWORD when existingPassword is %s', async (_n, value, message) => {
    const { tenant, token, body } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, body({ existingPassword: value }));
    const error = expectFailure(reply, 400, 'INVALID_PARAM_EXISTING_PASSWORD');
    expect(error.field).toBe('existingPassword');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['missing', () => undefined, /is required/],
    ['too short', () => 'k7#Qp2!', /at least 8/],
    ['too long', () => 'a1b2c3d4'.repeat(16) + 'x', /at most 128/],
    ['very common', () => 'iloveyou', /too easy to guess/],
    ['the existing password', (t: TestTenant) => t.password, /differ from the existing/],
    ['built from the user name', (t: TestTenant) => `${t.userName.split('@')[0]}!`, /user name/],
  ])('should answer INVALID_PARAM_NEW_PASSWORD, without deriving, when newPassword is %s', async (_n, make, message) => {
    const { tenant, token, body } = await tenantReadyToChange();
    let reply: Awaited<ReturnType<typeof changePassword>> | undefined;
    const derivations = await derivationsDuring(async () => {
      reply = await changePassword(tenant, token, body({ newPassword: make(tenant) }));
    });
    const error = expectFailure(reply!, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expect(error.field).toBe('newPassword');
    expect(error.message).toMatch(message);
    expect(derivations).toHaveLength(0);
  });

  it('should answer NO_RECORDS_FOUND when the tenant record is gone', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    await tenantState.delete(tenant.id);
    expectFailure(await changePassword(tenant, token, body()), 404, 'NO_RECORDS_FOUND');
  });

  it('should answer INVALID_CONTACT_BOOK_DETAILS_INFO for a disabled tenant and change nothing', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    await tenantState.disable(tenant.id);
    const before = await tenantRow(tenant.id);
    expectFailure(await changePassword(tenant, token, body()), 409, 'INVALID_CONTACT_BOOK_DETAILS_INFO');
    expect(await tenantRow(tenant.id)).toEqual(before);
  });

  it.each([
    ['no key', { apiKey: null }],
    ['an unknown key', { apiKey: 'srk_unknown' }],
    ['no token', { token: null }],
  ])('should answer UNAUTHORIZED with %s, before reading the body', async (_n, override) => {
    const { tenant, token, stamp, body } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, body(), override);
    expectFailure(reply, 401, 'UNAUTHORIZED');
    expect((await tenantRow(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should never put a password, hash or token secret in a response', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const newPassword = freshPassphrase();
    const replies = [
      await changePassword(tenant, token, body({ existingPassword: 'wrong one', newPassword })),
      await changePassword(tenant, token, body({ newPassword: 'short' })),
      await changePassword(tenant, token, body({ newPassword })),
    ];
    const hash = (await tenantRow(tenant.id))?.password_hash ?? '';
    const secret = token.split('.')[2];
    for (const reply of replies) {
      for (const leaked of [tenant.password, newPassword, 'wrong one', hash, hash.split('$')[3], secret, 'pbkdf2']) {
        expect(reply.text).not.toContain(leaked);
      }
    }
  });
});
