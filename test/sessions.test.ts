import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { settingsFrom } from '../src/config';
import { tenantSessions } from '../src/sessions/stub';
import { expectFailure, expectSuccess } from './support/envelope';
import { login, registerTenant, stampReply, type TestTenant } from './support/tenants';

const { sessionIdleMs } = settingsFrom(env);

/** Rewrites one session's timestamps in the tenant's Durable Object, as if time had passed. */
async function age(tenant: TestTenant, token: string, changes: { lastUsedAt?: number; expiresAt?: number }) {
  const sessionId = token.split('.')[1];
  await runInDurableObject(tenantSessions(env, tenant.business, tenant.id), (_instance, state) => {
    if (changes.lastUsedAt !== undefined) {
      state.storage.sql.exec('UPDATE sessions SET last_used_at = ? WHERE id = ?', changes.lastUsedAt, sessionId);
    }
    if (changes.expiresAt !== undefined) {
      state.storage.sql.exec('UPDATE sessions SET expires_at = ? WHERE id = ?', changes.expiresAt, sessionId);
    }
  });
}

async function lastUsedAt(tenant: TestTenant, token: string): Promise<number | undefined> {
  return runInDurableObject(tenantSessions(env, tenant.business, tenant.id), (_instance, state) =>
    state.storage.sql
      .exec<{ last_used_at: number }>('SELECT last_used_at FROM sessions WHERE id = ?', token.split('.')[1])
      .toArray()[0]?.last_used_at,
  );
}

describe('session lifetime', () => {
  it('should end a session left idle for longer than SESSION_IDLE_MINUTES', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await age(tenant, token, { lastUsedAt: Date.now() - sessionIdleMs - 1_000 });
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expect(await lastUsedAt(tenant, token)).toBeUndefined();
  });

  it('should renew the idle timer when the session is used', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const almostIdle = Date.now() - sessionIdleMs + 60_000;
    await age(tenant, token, { lastUsedAt: almostIdle });
    expectSuccess(await stampReply(tenant, token));
    expect(await lastUsedAt(tenant, token)).toBeGreaterThan(almostIdle + 30_000);
  });

  it('should not renew the idle timer for a wrong secret', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const earlier = Date.now() - 10 * 60_000;
    await age(tenant, token, { lastUsedAt: earlier });
    const forged = `${token.slice(0, -4)}AAAA`;
    expectFailure(await stampReply(tenant, forged), 401, 'UNAUTHORIZED');
    expect(await lastUsedAt(tenant, token)).toBe(earlier);
  });

  it('should end a session at its absolute expiry however recently it was used', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await age(tenant, token, { expiresAt: Date.now() - 1 });
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
  });

  it("should remove idle sessions in the object's alarm, keeping the live ones", async () => {
    const tenant = await registerTenant();
    const [idle, live] = [await login(tenant), await login(tenant)];
    await age(tenant, idle, { lastUsedAt: Date.now() - sessionIdleMs - 1_000 });
    await runDurableObjectAlarm(tenantSessions(env, tenant.business, tenant.id));
    expect(await lastUsedAt(tenant, idle)).toBeUndefined();
    expect(await lastUsedAt(tenant, live)).toEqual(expect.any(Number));
    expectSuccess(await stampReply(tenant, live));
  });
});
