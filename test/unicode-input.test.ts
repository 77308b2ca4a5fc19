import { describe, expect, it } from 'vitest';
import { registerBody } from './support/builders';
import { tenantCountFor } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { callRegister, changePassword, createApiKey, login, loginReply, registerTenant, tenantReadyToChange } from './support/tenants';

// Encoded, each lone surrogate becomes U+FFFD: without the rule these two passwords hashed alike.
const WITH_HIGH_SURROGATE = 'violet tugboat \uD800 orchard';
const WITH_LOW_SURROGATE = 'violet tugboat \uDC00 orchard';
const WITH_REPLACEMENT = 'violet tugboat \uFFFD orchard';

describe('Unicode in passwords and names', () => {
  it('should refuse a password with a lone surrogate at register', async () => {
    const body = registerBody({ password: WITH_HIGH_SURROGATE });

    const reply = await callRegister(body, { apiKey: await createApiKey() });

    const error = expectFailure(reply, 400, 'INVALID_PARAM_PASSWORD');
    expect(error.message).toBe('password must be well-formed Unicode (no lone UTF-16 surrogates)');
    expect(await tenantCountFor(String(body.userName))).toBe(0);
  });

  it('should never let a lone surrogate log in as the U+FFFD it would be encoded to', async () => {
    const tenant = await registerTenant({ password: WITH_REPLACEMENT });

    for (const variant of [WITH_HIGH_SURROGATE, WITH_LOW_SURROGATE]) {
      expectFailure(await loginReply(tenant, { password: variant }), 400, 'INVALID_PARAM_PASSWORD');
    }
    await login(tenant);
  });

  it('should refuse lone surrogates in existingPassword and newPassword at change', async () => {
    const { tenant, token, body } = await tenantReadyToChange();

    expectFailure(await changePassword(tenant, token, body({ existingPassword: WITH_LOW_SURROGATE })), 400, 'INVALID_PARAM_EXISTING_PASSWORD');
    const error = expectFailure(await changePassword(tenant, token, body({ newPassword: WITH_HIGH_SURROGATE })), 400, 'INVALID_PARAM_NEW_PASSWORD');
    expect(error.field).toBe('newPassword');
    expectSuccess(await changePassword(tenant, token, body()));
  });

  it.each([
    ['NUL', 'violet\u0000tugboat orchard'],
    ['a tab', 'violet\ttugboat orchard'],
    ['a line break', 'violet tugboat\norchard'],
    ['DEL', 'violet tugboat orchard\u007F'],
    ['a C1 control', 'violet \u0085tugboat orchard'],
  ])('should refuse a new password with %s, at register and at change', async (_name, password) => {
    const registered = await callRegister(registerBody({ password }), { apiKey: await createApiKey() });
    expect(expectFailure(registered, 400, 'INVALID_PARAM_PASSWORD').message).toBe('password must not contain control characters');

    const { tenant, token, body } = await tenantReadyToChange();
    expectFailure(await changePassword(tenant, token, body({ newPassword: password })), 400, 'INVALID_PARAM_NEW_PASSWORD');
  });

  it.each([
    ['firstName', 'INVALID_PARAM_FIRST_NAME', 'Ja\u0000ne'],
    ['firstName', 'INVALID_PARAM_FIRST_NAME', 'Jane\r\nX-Injected: 1'],
    ['lastName', 'INVALID_PARAM_LAST_NAME', 'Doe\u0000'],
    ['lastName', 'INVALID_PARAM_LAST_NAME', 'Do\uDFFFe'],
  ])('should refuse %s %j without echoing it', async (field, code, value) => {
    const body = registerBody({ [field]: value });

    const reply = await callRegister(body, { apiKey: await createApiKey() });

    const error = expectFailure(reply, 400, code);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/control characters|well-formed Unicode/);
    expect(reply.text).not.toContain(value);
    expect(await tenantCountFor(String(body.userName))).toBe(0);
  });

  it('should accept names and passwords in other scripts', async () => {
    const tenant = await registerTenant({ firstName: 'Zoë', lastName: 'Ødegård-Łukasz 李', password: 'фиолетовый 拖船 orchard 🚢' });
    await login(tenant);
  });
});
