import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { changeBody, freshPassphrase, wrongPassword as makeWrongPassword } from './support/builders';
import { captureConsoleLines } from './support/console-lines';
import { tenantRow } from './support/db';
import { envWith, faultyD1 } from './support/faults';
import { callLogin, changePassword, login, loginReply, registerTenant, requestStamp } from './support/tenants';

describe('structured logs', () => {
  const lines = captureConsoleLines();

  it('should log one JSON line per request, with its request id, and never a password, token, key or hash', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const newPassword = freshPassphrase();
    const wrongPassword = makeWrongPassword();
    await loginReply(tenant, { password: wrongPassword });
    await callLogin({}, { apiKey: `${tenant.apiKey}-unknown` });
    const changeWith = async (existingPassword: string) => changeBody(existingPassword, await requestStamp(tenant, token), { newPassword });
    await changePassword(tenant, token, await changeWith(wrongPassword));
    await changePassword(tenant, token, await changeWith(tenant.password), {
      env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }) }),
    });
    await changePassword(tenant, token, await changeWith(tenant.password));
    const stored = (await tenantRow(tenant.id))!;

    // One line per request: register, three logins, and three stamp requests each followed by a change.
    expect(lines).toHaveLength(10);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry).toMatchObject({
        requestId: expect.any(String),
        method: expect.any(String),
        route: expect.any(String),
        status: expect.any(Number),
        durationMs: expect.any(Number),
        events: expect.any(Array),
      });
      if (entry.status >= 400) expect(entry.code).toEqual(expect.any(String));
    }
    const secrets = [
      tenant.password,
      newPassword,
      wrongPassword,
      tenant.apiKey,
      token,
      token.split('.')[2],
      stored.password_hash!,
      stored.password_hash!.split('$')[3],
    ];
    const output = lines.join('\n');
    for (const secret of secrets) expect(output).not.toContain(secret);
    expect(output).toContain('password.change.succeeded');
    expect(output).toContain('password.change.commit_uncertain');
  });

  it("should key the log and audit by the server's own request id, logging the client's beside it", async () => {
    const tenant = await registerTenant();
    const reply = await loginReply(tenant, { password: 'not the password at all', headers: { 'X-Request-Id': 'client-chosen-id' } });
    const serverId = reply.headers.get('X-Request-Id');
    expect(serverId).toMatch(/^[0-9a-f-]{36}$/);
    const entry = JSON.parse(lines.at(-1)!);
    expect(entry).toMatchObject({ requestId: serverId, clientRequestId: 'client-chosen-id', code: 'INVALID_CREDENTIALS' });
    const audit = await env.DB.prepare("SELECT request_id FROM audit_events WHERE tenant_id = ? AND event = 'login'")
      .bind(tenant.id)
      .first<{ request_id: string }>();
    expect(audit?.request_id).toBe(serverId);
  });
});
