import { describe, expect, it } from 'vitest';
import { registerBody, uniqueEmail } from './support/builders';
import { tenantCountFor } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { callRegister, changePassword, createApiKey, login, registerTenant, tenantReadyToChange } from './support/tenants';

const GUESSABLE = [
  'aaaaaaaa',
  '00000000',
  '        ',
  '!!!!!!!!',
  'abcd1234',
  'qwertyuiop',
  'Password123!',
  'Summer2024',
  'Winter2025!',
  'P@$$w0rd2024',
  'iloveyou2',
];

const UNGUESSABLE = [
  { script: 'Latin words', password: 'violet tugboat orchard' },
  { script: 'Latin random', password: 'Xq7#vL2@pW9!mZ4$rT6^' },
  { script: 'Cyrillic words', password: 'фиолетовый буксир сад' },
  { script: 'CJK', password: '紫色的拖船在果园里慢慢地航行' },
  { script: 'emoji', password: '🐙🌵🎻🧲🚲🍋🪁🦔' },
  { script: 'mixed scripts', password: 'tugboat буксир 拖船 🚢' },
];

describe('password policy at register and change', () => {
  it.each(GUESSABLE)('should refuse %j at register with INVALID_PARAM_PASSWORD, advice, and no echo', async (password) => {
    const body = registerBody({ password });

    const reply = await callRegister(body, { apiKey: await createApiKey() });

    const error = expectFailure(reply, 400, 'INVALID_PARAM_PASSWORD');
    expect(error.field).toBe('password');
    expect(error.message).toMatch(/^password is too easy to guess \(.+\)\. \S+/);
    if (password.trim()) expect(reply.text).not.toContain(password);
    expect(await tenantCountFor(String(body.userName))).toBe(0);
  });

  it.each(UNGUESSABLE)('should register and log in with a password in $script', async ({ password }) => {
    const tenant = await registerTenant({ password });
    await login(tenant);
  });

  it.each([
    { case: 'the first name with a year', password: () => 'Thaddeus2024!' },
    { case: 'the email local part', password: (email: string) => `${email.split('@')[0]}!` },
  ])('should refuse $case at register', async ({ password }) => {
    const userName = uniqueEmail();
    const reply = await callRegister(registerBody({ userName, firstName: 'Thaddeus', password: password(userName) }), {
      apiKey: await createApiKey(),
    });
    expect(expectFailure(reply, 400, 'INVALID_PARAM_PASSWORD').message).toMatch(/user name, email, first or last name/);
  });

  it.each(['Summer2024', 'abcd1234'])('should refuse %j at change with INVALID_PARAM_NEW_PASSWORD and keep the password', async (newPassword) => {
    const { tenant, token, body } = await tenantReadyToChange();

    const reply = await changePassword(tenant, token, body({ newPassword }));

    const error = expectFailure(reply, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expect(error.field).toBe('newPassword');
    expect(error.message).toMatch(/^newPassword is too easy to guess/);
    expect(reply.text).not.toContain(newPassword);
    expectSuccess(await changePassword(tenant, token, body()));
  });
});
