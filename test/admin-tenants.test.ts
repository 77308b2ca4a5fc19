import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { freshPassphrase, unknownUserName, wrongPassword } from './support/builders';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { adminCall, administeredTenant, deleteTenant, disableTenant, enableTenant, sessionReply } from './support/admin';
import { ROUTES } from './support/routes';
import { outboxRowsOf } from './support/webhooks';
import {
  changePassword,
  createApiKey,
  login,
  loginReply,
  loginWithDevice,
  registerTenant,
  requestStamp,
  stampReply,
} from './support/tenants';
import { changeBody } from './support/builders';

interface AdminTenantData {
  id: string;
  userName: string;
  firstName: string;
  lastName: string;
  phoneNumber: string | null;
  disabled: boolean;
  createdAt: string;
  passwordChangedAt: string | null;
}

describe('GET /v1/admin/tenants?userName=', () => {
  it('should answer the tenant of the business, without secrets, passwordChangedAt null until a change', async () => {
    const { tenant, serverKey } = await administeredTenant();

    const reply = await adminCall<AdminTenantData>(ROUTES.adminFind, { id: '', userName: tenant.userName.toUpperCase() }, serverKey);

    const data = expectSuccess(reply);
    const row = await tenantRow(tenant.id);
    expect(data).toEqual({
      id: tenant.id,
      userName: tenant.userName,
      firstName: 'Jane',
      lastName: 'Doe',
      phoneNumber: null,
      disabled: false,
      createdAt: new Date(row!.created_at).toISOString(),
      passwordChangedAt: null,
    });
    expect(reply.text).not.toContain(row!.password_hash!);
  });

  it('should answer when the password was last changed, and that the tenant is disabled', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    expectSuccess(await changePassword(tenant, token, changeBody(tenant.password, await requestStamp(tenant, token), { newPassword: freshPassphrase() })));
    expectSuccess(await disableTenant(tenant, serverKey));

    const data = expectSuccess(await adminCall<AdminTenantData>(ROUTES.adminFind, tenant, serverKey));

    const row = await tenantRow(tenant.id);
    expect(data.passwordChangedAt).toBe(new Date(row!.password_changed_at!).toISOString());
    expect(data.disabled).toBe(true);
  });

  it('should answer 404 NO_RECORDS_FOUND for a user name nobody registered', async () => {
    const { serverKey } = await administeredTenant();

    expectFailure(await adminCall(ROUTES.adminFind, { id: '', userName: unknownUserName() }, serverKey), 404, 'NO_RECORDS_FOUND');
  });

  it.each([
    { case: 'a missing userName', path: '/v1/admin/tenants' },
    { case: 'a userName that is no email', path: '/v1/admin/tenants?userName=not-an-email' },
    { case: 'an empty userName', path: '/v1/admin/tenants?userName=' },
  ])('should answer 400 INVALID_PARAM_USER_NAME for $case', async ({ path }) => {
    const { serverKey } = await administeredTenant();
    const { call } = await import('./support/request');

    expectFailure(await call(path, { apiKey: serverKey }), 400, 'INVALID_PARAM_USER_NAME');
  });
});

describe('the tenant id in an admin path', () => {
  it.each(['not-a-guid', '65353E22-C3A6-4600-9DE4-9813D5ECC6B', "x' OR '1'='1"])(
    'should answer 400 INVALID_PARAM_CONTACT_BOOK_ID for %j',
    async (id) => {
      const { serverKey } = await administeredTenant();

      expectFailure(await disableTenant({ id: encodeURIComponent(id), userName: '' }, serverKey), 400, 'INVALID_PARAM_CONTACT_BOOK_ID');
    },
  );

  it('should take a tenant id in lower case', async () => {
    const { tenant, serverKey } = await administeredTenant();

    expect(expectSuccess(await disableTenant({ ...tenant, id: tenant.id.toLowerCase() }, serverKey))).toBe(tenant.id);
  });
});

describe('POST /v1/admin/tenants/{tenantId}/disable and /enable', () => {
  it('should refuse every session of the tenant at once with 401 saying the account was disabled', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const tokens = [await login(tenant), await login(tenant)];

    expect(expectSuccess(await disableTenant(tenant, serverKey))).toBe(tenant.id);

    for (const token of tokens) {
      const error = expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
      expect(error.message).toMatch(/disabled/);
      expectFailure(await sessionReply(tenant.apiKey, token), 401, 'UNAUTHORIZED');
    }
    expect((await tenantRow(tenant.id))!.is_disabled).toBe(1);
  });

  it("should answer the disabled tenant's login exactly as an unknown user's, from a known device too", async () => {
    const { tenant, serverKey } = await administeredTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    expectSuccess(await disableTenant(tenant, serverKey));

    const disabled = await loginReply(tenant, { headers: { 'X-Device-Token': deviceToken } });
    const unknown = await loginReply({ ...tenant, userName: unknownUserName() });

    expectFailure(disabled, 401, 'INVALID_CREDENTIALS');
    expect(disabled.body).toEqual(unknown.body);
    expect(disabled.headers.get('WWW-Authenticate')).toBe(unknown.headers.get('WWW-Authenticate'));
  });

  it('should record tenant.disabled once in the outbox: disabling again answers 200 with no second event', async () => {
    const { business, tenant, serverKey } = await administeredTenant();

    const first = await disableTenant(tenant, serverKey);
    expectSuccess(await disableTenant(tenant, serverKey));

    expectSuccess(first);
    const rows = await outboxRowsOf(tenant.id);
    expect(rows.map((row) => [row.type, row.business_id])).toEqual([['tenant.disabled', business]]);
    expect(JSON.parse(rows[0].payload)).toEqual({ tenantId: tenant.id, occurredAt: new Date(rows[0].created_at).toISOString(), requestId: first.headers.get('X-Request-Id') });
  });

  it('should let an enabled tenant log in again, while the sessions the disable ended stay ended', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const before = await login(tenant);
    expectSuccess(await disableTenant(tenant, serverKey));

    expect(expectSuccess(await enableTenant(tenant, serverKey))).toBe(tenant.id);

    const after = await login(tenant);
    expectSuccess(await stampReply(tenant, after));
    expectFailure(await stampReply(tenant, before), 401, 'UNAUTHORIZED');
    expectSuccess(await enableTenant(tenant, serverKey));
  });
});

describe('POST /v1/admin/tenants/{tenantId}/sign-out', () => {
  it('should revoke every session of the tenant and say how many', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const tokens = [await login(tenant), await login(tenant), await login(tenant)];

    expect(expectSuccess(await adminCall(ROUTES.adminSignOut, tenant, serverKey))).toEqual({ revoked: 3 });

    for (const token of tokens) expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expectSuccess(await stampReply(tenant, await login(tenant)));
    expect(expectSuccess(await adminCall(ROUTES.adminSignOut, tenant, serverKey))).toEqual({ revoked: 1 });
  });
});

describe('POST /v1/admin/tenants/{tenantId}/unlock', () => {
  it('should end the lockout of clients without a device token and of a known device', async () => {
    const { tenant, serverKey } = await administeredTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    const device = { headers: { 'X-Device-Token': deviceToken } };
    for (let i = 0; i < 6; i++) await loginReply(tenant, { password: wrongPassword() });
    for (let i = 0; i < 6; i++) await loginReply(tenant, { password: wrongPassword(), ...device });
    expectFailure(await loginReply(tenant), 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await loginReply(tenant, device), 429, 'TOO_MANY_ATTEMPTS');

    expect(expectSuccess(await adminCall(ROUTES.adminUnlock, tenant, serverKey))).toBe(tenant.id);

    expectSuccess(await loginReply(tenant));
    expectSuccess(await loginReply(tenant, device));
  });
});

describe('DELETE /v1/admin/tenants/{tenantId}', () => {
  it('should erase the tenant, record tenant.deleted, and keep audit rows without personal data', async () => {
    const { business, tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    await loginReply(tenant, { password: wrongPassword() });
    expectSuccess(await changePassword(tenant, token, changeBody(tenant.password, await requestStamp(tenant, token), { newPassword: freshPassphrase() })));
    expect(await rowCount('password_history', tenant.id)).toBe(1);

    const reply = await deleteTenant(tenant, serverKey);

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(await tenantRow(tenant.id)).toBeNull();
    expect(await rowCount('password_history', tenant.id)).toBe(0);
    const rows = await outboxRowsOf(tenant.id);
    expect(rows.map((row) => [row.type, row.business_id])).toEqual([['tenant.deleted', business]]);
    const audit = await env.DB.prepare('SELECT * FROM audit_events WHERE tenant_id = ?').bind(tenant.id).all<Record<string, unknown>>();
    expect(audit.results.map((row) => row.event).sort()).toEqual(['login', 'password.change', 'tenant.delete']);
    for (const row of audit.results) {
      expect(Object.keys(row).sort()).toEqual(['created_at', 'event', 'id', 'outcome', 'request_id', 'tenant_id']);
      expect(JSON.stringify(row)).not.toContain(tenant.userName);
    }
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expectFailure(await deleteTenant(tenant, serverKey), 404, 'NO_RECORDS_FOUND');
  });

  it('should let the user name register again, with nothing of the deleted tenant working for the new one', async () => {
    const { business, tenant, serverKey } = await administeredTenant();
    const { token, deviceToken } = await loginWithDevice(tenant);
    expectSuccess(await deleteTenant(tenant, serverKey));

    const again = await registerTenant({ business, apiKey: tenant.apiKey, userName: tenant.userName, password: freshPassphrase() });

    expect(again.id).not.toBe(tenant.id);
    expectFailure(await loginReply(again, { password: tenant.password }), 401, 'INVALID_CREDENTIALS');
    const fresh = await loginWithDevice(again, deviceToken);
    expect(fresh.deviceToken).not.toBe(deviceToken);
    expectSuccess(await stampReply(again, fresh.token));
    expectFailure(await stampReply(again, token), 401, 'UNAUTHORIZED');
    expectFailure(await sessionReply(again.apiKey, token), 401, 'UNAUTHORIZED');
  });

  it("should answer the erased tenant's token on every session route with 401", async () => {
    const { tenant, serverKey } = await administeredTenant();
    const token = await login(tenant);
    expectSuccess(await deleteTenant(tenant, serverKey));

    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expectFailure(await sessionReply(tenant.apiKey, token), 401, 'UNAUTHORIZED');
    expectFailure(await sessionReply(await createApiKey({ business: tenant.business, kind: 'server' }), token), 401, 'UNAUTHORIZED');
  });
});

describe('calls to the central stores of each admin route', () => {
  it.each([
    { route: ROUTES.adminFind, calls: ['d1:select'] },
    // After the answer, a recorded event is handed to the queue and its row marked enqueued (the last d1:update).
    { route: ROUTES.adminDisable, calls: ['d1:select', 'durableObject:closeForDisable', 'd1:insert', 'd1:update'] },
    { route: ROUTES.adminEnable, calls: ['d1:select', 'durableObject:reopenAfterEnable', 'd1:update'] },
    { route: ROUTES.adminSignOut, calls: ['d1:select', 'durableObject:revokeAllSessions'] },
    { route: ROUTES.adminUnlock, calls: ['d1:select', 'durableObject:unlockLogins'] },
    { route: ROUTES.adminDelete, calls: ['d1:select', 'durableObject:erase', 'durableObject:erase', 'd1:delete', 'd1:update'] },
  ])('should make one D1 read, then the object step, then one D1 write on $route.name', async ({ route, calls }) => {
    const { tenant, serverKey } = await administeredTenant();
    const { recordingStoreCalls } = await import('./support/store-calls');
    const recorded = recordingStoreCalls();

    expectSuccess(await adminCall(route, tenant, serverKey, { env: recorded.bindings }));

    expect(recorded.calls).toEqual(calls);
  });
});
