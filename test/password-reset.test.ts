import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { TENANT_KEY } from '../src/sessions/login-checks';
import { loginThrottle } from '../src/sessions/stub';
import { freshPassphrase, wrongPassword } from './support/builders';
import { rowCount, tenantRow, tenantState } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { completeResetReply, from, clientAddress, inObject, issueReset, issueResetReply, serverKeyOf } from './support/resets';
import {
  createApiKey,
  login,
  loginReply,
  loginWithDevice,
  registerTenant,
  stampReply,
  uniqueBusiness,
} from './support/tenants';
import { deliveredTo, outboxRowsOf, receiverUrl, registerEndpoint } from './support/webhooks';

const { maxFailedAttempts, resetTokenMs } = settingsFrom(env);

describe('POST /v1/admin/tenants/{tenantId}/password-reset', () => {
  it('should answer 201 with a token and its expiry, not cached, and store only the hash of its secret', async () => {
    const tenant = await registerTenant();
    const before = Date.now();

    const reply = await issueResetReply(tenant.id, await serverKeyOf(tenant));

    const issued = expectSuccess(reply, 201);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    expect(issued.resetToken.startsWith(`${tenant.id}.`)).toBe(true);
    const expiresAt = Date.parse(issued.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + resetTokenMs);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + resetTokenMs);
    const [, tokenId, secret] = issued.resetToken.split('.');
    const stored = await inObject<{ id: string; secret_hash: string }>(tenant, 'SELECT id, secret_hash FROM reset_tokens');
    expect(stored).toHaveLength(1);
    expect(stored[0].id).toBe(tokenId);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('should answer 403 KEY_NOT_ALLOWED to a publishable key of the business, and issue nothing', async () => {
    const tenant = await registerTenant();

    expectFailure(await issueResetReply(tenant.id, tenant.apiKey), 403, 'KEY_NOT_ALLOWED');

    expect(await inObject(tenant, 'SELECT 1 FROM reset_tokens')).toEqual([]);
  });

  it.each([
    { case: 'a tenant of another business', id: async () => (await registerTenant({ business: uniqueBusiness() })).id },
    { case: 'an id nobody has', id: async () => crypto.randomUUID().toUpperCase() },
    { case: 'a malformed id', id: async () => 'not-a-tenant-id' },
  ])('should answer 404 NO_RECORDS_FOUND for $case', async ({ id }) => {
    const apiKey = await createApiKey({ kind: 'server' });

    expectFailure(await issueResetReply(await id(), apiKey), 404, 'NO_RECORDS_FOUND');
  });

  it('should answer 401 UNAUTHORIZED without a key', async () => {
    const tenant = await registerTenant();

    expectFailure(await issueResetReply(tenant.id, null), 401, 'UNAUTHORIZED');
  });

  it.each([
    { case: 'disabled', change: (id: string) => tenantState.disable(id) },
    { case: 'without login credentials', change: (id: string) => tenantState.removeCredentials(id) },
  ])('should answer 409 INVALID_CONTACT_BOOK_DETAILS_INFO for a tenant $case', async ({ change }) => {
    const tenant = await registerTenant();
    await change(tenant.id);

    expectFailure(await issueResetReply(tenant.id, await serverKeyOf(tenant)), 409, 'INVALID_CONTACT_BOOK_DETAILS_INFO');
  });
});

describe('POST /v1/password-reset', () => {
  it('should set the new password with any key of the business, and answer the tenant id', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();

    const reply = await completeResetReply(tenant.apiKey, { resetToken, newPassword });

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(reply.headers.get('RateLimit-Policy')).toMatch(/^"failed-logins";q=\d+;w=60$/);
    expect(reply.headers.get('RateLimit')).toMatch(/^"failed-logins";r=\d+;t=\d+$/);
    await login(tenant, newPassword);
    expectFailure(await loginReply(tenant), 401, 'INVALID_CREDENTIALS');
    expect(await inObject(tenant, 'SELECT 1 FROM reset_tokens')).toEqual([]);
  });

  it('should revoke every session of the tenant, keeping none', async () => {
    const tenant = await registerTenant();
    const sessions = [await login(tenant), await login(tenant), await login(tenant)];
    const { resetToken } = await issueReset(tenant);

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }));

    for (const token of sessions) expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
  });

  it('should make every device token of the tenant share the devices-before-change budget', async () => {
    const tenant = await registerTenant();
    const first = await loginWithDevice(tenant);
    const second = await loginWithDevice(tenant);
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword }));

    // D1 and the login object of the user name agree: changed now, by no device.
    const changedAt = (await tenantRow(tenant.id))!.password_changed_at;
    const told = await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => state.storage.kv.get(TENANT_KEY));
    expect(told).toMatchObject({ tenantId: tenant.id, passwordChangedAt: changedAt, changedByDevice: null });
    const device = (deviceToken: string) => ({ headers: { 'X-Device-Token': deviceToken } });
    for (let i = 0; i < maxFailedAttempts; i++) {
      expectFailure(await loginReply(tenant, { password: wrongPassword(), ...device(first.deviceToken) }), 401, 'INVALID_CREDENTIALS');
    }
    // The other device's own budget is untouched, but it no longer has one: it shares the spent one.
    expectFailure(await loginReply(tenant, { password: newPassword, ...device(second.deviceToken) }), 429, 'TOO_MANY_ATTEMPTS');
  });

  it("should keep the completing client's known device out of the shared budget: guesses from the others cannot lock it out", async () => {
    const tenant = await registerTenant();
    const owner = await loginWithDevice(tenant);
    const thief = await loginWithDevice(tenant);
    const device = (deviceToken: string) => ({ headers: { 'X-Device-Token': deviceToken } });
    // Before the reset the thief's token spends what its own budget allows but one.
    for (let i = 0; i < maxFailedAttempts - 1; i++) {
      expectFailure(await loginReply(tenant, { password: wrongPassword(), ...device(thief.deviceToken) }), 401, 'INVALID_CREDENTIALS');
    }
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword }, device(owner.deviceToken)));

    expectFailure(await loginReply(tenant, { password: tenant.password, ...device(thief.deviceToken) }), 401, 'INVALID_CREDENTIALS');
    expectFailure(await loginReply(tenant, { password: tenant.password, ...device(thief.deviceToken) }), 429, 'TOO_MANY_ATTEMPTS');
    // The device that completed the reset was never among the tokens from before it.
    expect(expectSuccess(await loginReply(tenant, { password: newPassword, ...device(owner.deviceToken) })).deviceToken).toBe(owner.deviceToken);
  });

  it('should ignore a completing device token of another user name: no device of the tenant is kept out of the shared budget', async () => {
    const tenant = await registerTenant();
    const stranger = await loginWithDevice(await registerTenant({ business: tenant.business, apiKey: tenant.apiKey }));
    const { resetToken } = await issueReset(tenant);

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { headers: { 'X-Device-Token': stranger.deviceToken } }));

    const told = await runInDurableObject(loginThrottle(env, tenant.business, tenant.userName), (_instance, state) => state.storage.kv.get(TENANT_KEY));
    expect(told).toMatchObject({ tenantId: tenant.id, changedByDevice: null });
    expect((await tenantRow(tenant.id))!.password_changed_by_device).toBeNull();
  });

  it.each([
    { case: 'too guessable', newPassword: () => 'password123' },
    { case: 'built from the tenant\'s email', newPassword: (userName: string) => `${userName.split('@')[0]} is my password` },
    { case: 'the current password', newPassword: (_userName: string, current: string) => current },
  ])('should refuse a new password that is $case with 400 INVALID_PARAM_NEW_PASSWORD, leaving the token usable', async ({ newPassword }) => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const apiKey = await createApiKey({ business: tenant.business });

    const error = expectFailure(
      await completeResetReply(apiKey, { resetToken, newPassword: newPassword(tenant.userName, tenant.password) }),
      400,
      'INVALID_PARAM_NEW_PASSWORD',
    );

    expect(error.field).toBe('newPassword');
    await login(tenant);
    const better = freshPassphrase();
    expectSuccess(await completeResetReply(apiKey, { resetToken, newPassword: better }));
    await login(tenant, better);
  });

  it('should refuse a password of the history after a change', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const stamp = expectSuccess(await stampReply(tenant, token));
    const { changePassword } = await import('./support/tenants');
    const changed = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, { existingPassword: tenant.password, newPassword: changed, concurrencyStamp: stamp }));
    const { resetToken } = await issueReset(tenant);

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: tenant.password }), 400, 'INVALID_PARAM_NEW_PASSWORD');
  });

  it('should record tenant.password_reset in the outbox with the write, deliver it, and audit it, with no secret in any', async () => {
    const business = uniqueBusiness();
    const endpoint = receiverUrl();
    await registerEndpoint(business, endpoint);
    const tenant = await registerTenant({ business });
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();

    const reply = await completeResetReply(tenant.apiKey, { resetToken, newPassword });

    expectSuccess(reply);
    const events = await outboxRowsOf(tenant.id);
    expect(events.map((row) => row.type)).toEqual(['tenant.password_reset']);
    expect(JSON.parse(events[0].payload)).toEqual({
      tenantId: tenant.id,
      requestId: reply.headers.get('X-Request-Id'),
      occurredAt: expect.any(String),
    });
    const [delivered] = await deliveredTo(endpoint, 1);
    expect(JSON.parse(delivered.body)).toMatchObject({ type: 'tenant.password_reset', data: { tenantId: tenant.id } });
    const stored = (await tenantRow(tenant.id))!;
    const text = JSON.stringify(events[0]) + delivered.body;
    for (const secret of [resetToken, resetToken.split('.')[2], newPassword, tenant.password, stored.password_hash!]) {
      expect(text).not.toContain(secret);
    }
    expect(await rowCount('audit_events', tenant.id, "event = 'password.reset' AND outcome = 'success'")).toBe(1);
    expect(await rowCount('password_history', tenant.id)).toBe(1);
  });

  it('should answer 409 RESET_TOKEN_INVALID for a token of a tenant disabled since it was issued, and change nothing', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    await tenantState.disable(tenant.id);
    const before = (await tenantRow(tenant.id))!.password_hash;

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');

    expect((await tenantRow(tenant.id))!.password_hash).toBe(before);
  });

  it.each([
    { case: 'missing', body: { newPassword: 'a fresh passphrase here' } },
    { case: 'not a token', body: { resetToken: 'reset-me-please', newPassword: 'a fresh passphrase here' } },
    { case: 'a token with a lower-case tenant id', body: { resetToken: `${'ab'.repeat(4)}-0000-0000-0000-${'0'.repeat(12)}.${'a'.repeat(32)}.${'A'.repeat(43)}.${'B'.repeat(22)}`, newPassword: 'a fresh passphrase here' } },
  ])('should answer 400 INVALID_PARAM_RESET_TOKEN for a resetToken $case, counting nothing', async ({ body }) => {
    const apiKey = await createApiKey();

    const reply = await completeResetReply(apiKey, body, from(clientAddress()));

    const error = expectFailure(reply, 400, 'INVALID_PARAM_RESET_TOKEN');
    expect(error.field).toBe('resetToken');
    expect(reply.headers.get('RateLimit')).toBeNull();
  });
});
