import { describe, expect, it } from 'vitest';
import {
  call,
  changePassword,
  expectFailure,
  expectSuccess,
  login,
  newPasswordFor,
  tenantReadyToChange,
} from './helpers';

describe('PUT /v1/tenant/profile/change-password', () => {
  it('should change the password and return the tenant id', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const newPassword = newPasswordFor();

    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword,
      concurrencyStamp: stamp,
    });

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    await login(tenant, newPassword);
    const oldLogin = await call('/v1/login', {
      method: 'POST',
      apiKey: tenant.apiKey,
      body: { userName: tenant.userName, password: tenant.password },
    });
    expectFailure(oldLogin, 401, 'INVALID_CREDENTIALS');
  });
});
