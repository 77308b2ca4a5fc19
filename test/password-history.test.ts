import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/password';
import { PBKDF2_ITERATIONS } from '../src/config';
import { freshPassphrase } from './support/builders';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import { changePassword, requestStamp, tenantReadyToChange, type TestTenant } from './support/tenants';

const withHistory = (depth: number) => ({ ...env, PASSWORD_HISTORY: String(depth) }) as Env;
const saltOf = (stored: string) => stored.split('$')[2];
const TWO_DERIVATIONS = [PBKDF2_ITERATIONS, PBKDF2_ITERATIONS];

async function historyHashes(tenantId: string): Promise<string[]> {
  const rows = await env.DB.prepare('SELECT password_hash FROM password_history WHERE tenant_id = ?')
    .bind(tenantId)
    .all<{ password_hash: string }>();
  return rows.results.map((row) => row.password_hash);
}

/** A tenant who has changed its password `changes` times under `bindings`: passwords[i] is the i-th, the last is current. */
async function tenantAfterChanges(changes: number, bindings: Env) {
  const { tenant, token } = await tenantReadyToChange();
  const passwords = [tenant.password];
  for (let i = 0; i < changes; i++) {
    const next = freshPassphrase();
    expectSuccess(await changeTo(tenant, token, passwords.at(-1)!, next, bindings));
    passwords.push(next);
  }
  return { tenant, token, passwords };
}

async function changeTo(tenant: TestTenant, token: string, from: string, to: string, bindings: Env) {
  const concurrencyStamp = await requestStamp(tenant, token);
  return changePassword(tenant, token, { existingPassword: from, newPassword: to, concurrencyStamp }, { env: bindings });
}

/** The reply of `action`, and the iteration count of each PBKDF2 derivation it asked for. */
async function counted<T>(action: () => Promise<T>): Promise<{ reply: T; derivations: number[] }> {
  let reply: T | undefined;
  const derivations = await derivationsDuring(async () => {
    reply = await action();
  });
  return { reply: reply!, derivations };
}

describe('the password history under the tenant salt', () => {
  it.each([5, 24])(
    'should refuse the oldest password of a full history of %i and accept the one before it, deriving exactly twice each time',
    async (depth) => {
      const bindings = withHistory(depth);
      const { tenant, token, passwords } = await tenantAfterChanges(depth, bindings);
      const current = passwords[depth];
      expect(await rowCount('password_history', tenant.id)).toBe(depth - 1);

      const reused = await counted(() => changeTo(tenant, token, current, passwords[1], bindings));
      const error = expectFailure(reused.reply, 400, 'INVALID_PARAM_NEW_PASSWORD');
      expect(error.message).toBe(`newPassword must not be one of your last ${depth} passwords`);
      expect(reused.derivations).toEqual(TWO_DERIVATIONS);

      const older = await counted(() => changeTo(tenant, token, current, passwords[0], bindings));
      expectSuccess(older.reply);
      expect(older.derivations).toEqual(TWO_DERIVATIONS);
      expect(await rowCount('password_history', tenant.id)).toBe(depth - 1);
    },
  );

  it('should cap PASSWORD_HISTORY at 24', async () => {
    const bindings = withHistory(100);
    const { tenant, token, passwords } = await tenantAfterChanges(1, bindings);
    const reused = await changeTo(tenant, token, passwords[1], passwords[0], bindings);
    expect(expectFailure(reused, 400, 'INVALID_PARAM_NEW_PASSWORD').message).toBe('newPassword must not be one of your last 24 passwords');
  });

  it('should derive once for a wrong existing password', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const mismatch = await counted(() => changePassword(tenant, token, body({ existingPassword: 'not the password at all' })));
    expectFailure(mismatch.reply, 400, 'MISMATCH_EXISTING_PASSWORD');
    expect(mismatch.derivations).toEqual([PBKDF2_ITERATIONS]);
  });

  it('should keep the current hash and every history entry under the tenant salt', async () => {
    const { tenant } = await tenantAfterChanges(3, withHistory(5));
    const row = await tenantRow(tenant.id);
    const salt = row!.password_salt!;
    expect(salt).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(saltOf(row!.password_hash!)).toBe(salt);
    const history = await historyHashes(tenant.id);
    expect(history).toHaveLength(3);
    for (const stored of history) expect(saltOf(stored)).toBe(salt);
  });

  it('should give two tenants different salts', async () => {
    const [first, second] = await Promise.all([tenantReadyToChange(), tenantReadyToChange()]);
    const [a, b] = await Promise.all([tenantRow(first.tenant.id), tenantRow(second.tenant.id)]);
    expect(a!.password_salt).not.toBe(b!.password_salt);
  });

  it('should still refuse a password kept under another salt, at one derivation for that entry', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const older = freshPassphrase();
    // A history entry as a tenant made before the one-salt scheme has it: its own salt.
    await env.DB.prepare('INSERT INTO password_history (tenant_id, password_hash, created_at) VALUES (?, ?, ?)')
      .bind(tenant.id, await hashPassword(older), Date.now())
      .run();

    const reused = await counted(() => changePassword(tenant, token, body({ newPassword: older })));

    expectFailure(reused.reply, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expect(reused.derivations).toEqual([...TWO_DERIVATIONS, PBKDF2_ITERATIONS]);
  });
});
