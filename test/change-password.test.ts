import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/password';
import { pbkdf2Iterations } from './pbkdf2-limit';
import {
  call,
  changePassword,
  expectFailure,
  expectSuccess,
  login,
  newPasswordFor,
  registerTenant,
  requestStamp,
  tenantReadyToChange,
  type TestTenant,
} from './helpers';

const STAMP_ROUTE = '/v1/tenant/profile/change-password/request';

async function storedTenant(id: string) {
  return env.DB.prepare('SELECT password_hash, concurrency_stamp, concurrency_stamp_issued_at FROM tenants WHERE id = ?')
    .bind(id)
    .first<{ password_hash: string | null; concurrency_stamp: string | null; concurrency_stamp_issued_at: number | null }>();
}

async function loginFails(tenant: TestTenant, password: string) {
  const reply = await call('/v1/login', {
    method: 'POST',
    apiKey: tenant.apiKey,
    body: { userName: tenant.userName, password },
  });
  expectFailure(reply, 401, 'INVALID_CREDENTIALS');
}

/** Runs `action` and returns how many PBKDF2 derivations it asked for. */
async function derivationsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = pbkdf2Iterations.length;
  await action();
  return pbkdf2Iterations.length - before;
}

describe('GET /v1/tenant/profile/change-password/request', () => {
  it('should issue an upper-case GUID stamp, not cacheable', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const reply = await call<string>(STAMP_ROUTE, { apiKey: tenant.apiKey, token });
    const stamp = expectSuccess(reply);
    expect(stamp).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    expect((await storedTenant(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should supersede the earlier stamp', async () => {
    const { tenant, token, stamp: first } = await tenantReadyToChange();
    const second = await requestStamp(tenant, token);
    expect(second).not.toBe(first);

    const stale = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: first,
    });
    expectFailure(stale, 409, 'CHANGE_PASSWORD_FAILED');
    const current = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: second,
    });
    expectSuccess(current);
  });

  it.each([
    ['no key', { apiKey: null }],
    ['no token', { token: null }],
  ])('should answer UNAUTHORIZED with %s', async (_name, override) => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const reply = await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token, ...override });
    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it('should answer NO_RECORDS_FOUND when the tenant record is gone', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(tenant.id).run();
    expectFailure(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token }), 404, 'NO_RECORDS_FOUND');
  });

  it.each([
    ['disabled', 'UPDATE tenants SET is_disabled = 1 WHERE id = ?'],
    ['without login credentials', 'UPDATE tenants SET password_hash = NULL WHERE id = ?'],
  ])('should answer INVALID_CONTACT_BOOK_DETAILS_INFO for a tenant %s', async (_name, statement) => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    await env.DB.prepare(statement).bind(tenant.id).run();
    expectFailure(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token }), 409, 'INVALID_CONTACT_BOOK_DETAILS_INFO');
  });
});

describe('PUT /v1/tenant/profile/change-password', () => {
  it('should change the password, keep the caller logged in and revoke every other session', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const otherSessions = await Promise.all([login(tenant), login(tenant)]);
    const newPassword = newPasswordFor();

    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword,
      concurrencyStamp: stamp,
    });

    expect(expectSuccess(reply)).toBe(tenant.id);
    expect(reply.headers.get('Cache-Control')).toBe('no-store');
    await loginFails(tenant, tenant.password);
    await login(tenant, newPassword);
    expectSuccess(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token }));
    for (const other of otherSessions) {
      expectFailure(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token: other }), 401, 'UNAUTHORIZED');
    }
  });

  it('should consume the stamp, so a replay fails and changes nothing', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const newPassword = newPasswordFor();
    expectSuccess(
      await changePassword(tenant, token, { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp }),
    );
    const hashAfterChange = (await storedTenant(tenant.id))?.password_hash;

    const replay = await changePassword(tenant, token, {
      existingPassword: newPassword,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });

    expectFailure(replay, 409, 'CHANGE_PASSWORD_FAILED');
    expect((await storedTenant(tenant.id))?.password_hash).toBe(hashAfterChange);
    await login(tenant, newPassword);
  });

  it('should store a PBKDF2-SHA-512 hash at 100,000 iterations, with a history and an audit row', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const before = await storedTenant(tenant.id);
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expectSuccess(reply);

    const after = await storedTenant(tenant.id);
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
    const passwords = [tenant.password, ...Array.from({ length: 5 }, () => newPasswordFor())];
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
    const { tenant, token, stamp } = await tenantReadyToChange();
    const first = newPasswordFor();
    expectSuccess(await changePassword(tenant, token, { existingPassword: tenant.password, newPassword: first, concurrencyStamp: stamp }));
    const next = await requestStamp(tenant, token);
    const reused = await changePassword(tenant, token, { existingPassword: first, newPassword: tenant.password, concurrencyStamp: next });
    expectFailure(reused, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expectSuccess(await changePassword(tenant, token, { existingPassword: first, newPassword: newPasswordFor(), concurrencyStamp: next }));
  });

  it('should accept the stamp in lower case', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp.toLowerCase(),
    });
    expectSuccess(reply);
  });

  it('should let exactly one of 50 concurrent changes holding the same stamp win, rotating the stamp once', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const candidates = Array.from({ length: 50 }, () => newPasswordFor());

    const replies = await Promise.all(
      candidates.map((newPassword) =>
        changePassword(tenant, token, { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp }),
      ),
    );

    const winners = replies.flatMap((reply, i) => (reply.body.succeeded ? [candidates[i]] : []));
    expect(winners).toHaveLength(1);
    const losers = replies.filter((r) => !r.body.succeeded);
    expect(losers).toHaveLength(49);
    for (const reply of losers) expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');

    const stored = await storedTenant(tenant.id);
    const verdicts = await Promise.all(candidates.map((c) => verifyPassword(c, stored!.password_hash!)));
    expect(candidates.filter((_, i) => verdicts[i])).toEqual(winners);
    expect(stored?.concurrency_stamp).not.toBe(stamp);
    for (const table of ['password_history', 'audit_events']) {
      const rows = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ? AND ${table === 'audit_events' ? "outcome = 'success'" : '1'}`)
        .bind(tenant.id)
        .first<{ n: number }>();
      expect(rows?.n).toBe(1);
    }
    await login(tenant, winners[0]);
  });

  it('should keep tenants apart when many log in and change at once', async () => {
    const setups = await Promise.all(Array.from({ length: 8 }, () => tenantReadyToChange()));
    const bystanders = await Promise.all(setups.map(({ tenant }) => login(tenant)));
    const newPasswords = setups.map(() => newPasswordFor());

    const replies = await Promise.all(
      setups.map(({ tenant, token, stamp }, i) =>
        changePassword(tenant, token, { existingPassword: tenant.password, newPassword: newPasswords[i], concurrencyStamp: stamp }),
      ),
    );

    replies.forEach((reply, i) => expect(expectSuccess(reply)).toBe(setups[i].tenant.id));
    await Promise.all(setups.map(({ tenant }, i) => login(tenant, newPasswords[i])));
    for (const [i, { tenant, token }] of setups.entries()) {
      expectSuccess(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token }));
      expectFailure(await call(STAMP_ROUTE, { apiKey: tenant.apiKey, token: bystanders[i] }), 401, 'UNAUTHORIZED');
    }
    // A token is bound to its tenant: one tenant's session cannot act for another.
    const [first, second] = setups;
    const forged = second.token.replace(second.tenant.id, first.tenant.id);
    expectFailure(await call(STAMP_ROUTE, { apiKey: first.tenant.apiKey, token: forged }), 401, 'UNAUTHORIZED');
  });

  it('should refuse a stamp that has expired', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const elevenMinutesAgo = Date.now() - 11 * 60_000;
    await env.DB.prepare('UPDATE tenants SET concurrency_stamp_issued_at = ? WHERE id = ?')
      .bind(elevenMinutesAgo, tenant.id)
      .run();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
  });

  it("should refuse another tenant's stamp", async () => {
    const mine = await tenantReadyToChange();
    const theirs = await tenantReadyToChange();
    const reply = await changePassword(mine.tenant, mine.token, {
      existingPassword: mine.tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: theirs.stamp,
    });
    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
    await login(theirs.tenant);
  });

  it('should answer MISMATCH_EXISTING_PASSWORD and leave the stamp usable', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const wrong = await changePassword(tenant, token, {
      existingPassword: 'not the password at all',
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expect(expectFailure(wrong, 400, 'MISMATCH_EXISTING_PASSWORD').field).toBe('existingPassword');
    await login(tenant);

    const right = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expectSuccess(right);
  });

  it('should lock out after 5 wrong existing passwords, with Retry-After and without deriving', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const attempt = (existingPassword: string) =>
      changePassword(tenant, token, { existingPassword, newPassword: newPasswordFor(), concurrencyStamp: stamp });
    for (let i = 0; i < 5; i++) expectFailure(await attempt(`wrong guess ${i}`), 400, 'MISMATCH_EXISTING_PASSWORD');

    let locked: Awaited<ReturnType<typeof attempt>> | undefined;
    const derivations = await derivationsDuring(async () => {
      locked = await attempt(tenant.password);
    });

    expectFailure(locked!, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(locked!.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(derivations).toBe(0);
    await login(tenant);
  });

  it('should not let concurrent wrong guesses slip past the limit', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const guess = (i: number) =>
      changePassword(tenant, token, { existingPassword: `wrong ${i}`, newPassword: newPasswordFor(), concurrencyStamp: stamp });

    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i)));
    const statuses = replies.map((r) => r.body.status);
    const checked = statuses.filter((s) => s === 'MISMATCH_EXISTING_PASSWORD').length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(5);
    // The others lost the race for the stamp, or found the tenant locked; none ran a password check.
    expect(statuses.every((s) => ['MISMATCH_EXISTING_PASSWORD', 'CHANGE_PASSWORD_FAILED', 'TOO_MANY_ATTEMPTS'].includes(s))).toBe(
      true,
    );
    // Whatever got through, the sixth checked guess overall is refused.
    const remaining = 5 - checked;
    for (let i = 0; i < remaining; i++) expectFailure(await guess(100 + i), 400, 'MISMATCH_EXISTING_PASSWORD');
    expectFailure(await guess(200), 429, 'TOO_MANY_ATTEMPTS');
  });

  it.each([
    ['missing', undefined, /is required/],
    ['not a string', 12345678, /must be a string/],
    ['empty', '', /must not be empty/],
    ['too long', 'x'.repeat(513), /at most 512/],
  ])('should answer INVALID_PARAM_EXISTING_PASSWORD when existingPassword is %s', async (_n, value, message) => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, {
      existingPassword: value,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    const error = expectFailure(reply, 400, 'INVALID_PARAM_EXISTING_PASSWORD');
    expect(error.field).toBe('existingPassword');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['missing', () => undefined, /is required/],
    ['too short', () => 'k7#Qp2!', /at least 8/],
    ['too long', () => 'a1b2c3d4'.repeat(16) + 'x', /at most 128/],
    ['very common', () => 'iloveyou', /too common/],
    ['the existing password', (t: TestTenant) => t.password, /differ from the existing/],
    ['built from the user name', (t: TestTenant) => `${t.userName.split('@')[0]}!`, /user name/],
  ])('should answer INVALID_PARAM_NEW_PASSWORD, without deriving, when newPassword is %s', async (_n, make, message) => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    let reply: Awaited<ReturnType<typeof changePassword>> | undefined;
    const derivations = await derivationsDuring(async () => {
      reply = await changePassword(tenant, token, {
        existingPassword: tenant.password,
        newPassword: make(tenant),
        concurrencyStamp: stamp,
      });
    });
    const error = expectFailure(reply!, 400, 'INVALID_PARAM_NEW_PASSWORD');
    expect(error.field).toBe('newPassword');
    expect(error.message).toMatch(message);
    expect(derivations).toBe(0);
  });

  it.each([
    ['missing', undefined],
    ['not a GUID', 'not-a-guid'],
    ['a number', 42],
  ])('should answer INVALID_PARAM_CONCURRENCY_STAMP when concurrencyStamp is %s', async (_n, value) => {
    const { tenant, token } = await tenantReadyToChange();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: value,
    });
    expect(expectFailure(reply, 400, 'INVALID_PARAM_CONCURRENCY_STAMP').field).toBe('concurrencyStamp');
  });

  it('should reject a stale stamp without deriving', async () => {
    const { tenant, token } = await tenantReadyToChange();
    let reply: Awaited<ReturnType<typeof changePassword>> | undefined;
    const derivations = await derivationsDuring(async () => {
      reply = await changePassword(tenant, token, {
        existingPassword: tenant.password,
        newPassword: newPasswordFor(),
        concurrencyStamp: crypto.randomUUID(),
      });
    });
    expectFailure(reply!, 409, 'CHANGE_PASSWORD_FAILED');
    expect(derivations).toBe(0);
  });

  it('should answer NO_RECORDS_FOUND when the tenant record is gone', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    await env.DB.prepare('DELETE FROM tenants WHERE id = ?').bind(tenant.id).run();
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expectFailure(reply, 404, 'NO_RECORDS_FOUND');
  });

  it('should answer INVALID_CONTACT_BOOK_DETAILS_INFO for a disabled tenant and change nothing', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    await env.DB.prepare('UPDATE tenants SET is_disabled = 1 WHERE id = ?').bind(tenant.id).run();
    const before = await storedTenant(tenant.id);
    const reply = await changePassword(tenant, token, {
      existingPassword: tenant.password,
      newPassword: newPasswordFor(),
      concurrencyStamp: stamp,
    });
    expectFailure(reply, 409, 'INVALID_CONTACT_BOOK_DETAILS_INFO');
    expect(await storedTenant(tenant.id)).toEqual(before);
  });

  it.each([
    ['no key', { apiKey: null }],
    ['an unknown key', { apiKey: 'srk_unknown' }],
    ['no token', { token: null }],
  ])('should answer UNAUTHORIZED with %s, before reading the body', async (_n, override) => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const reply = await call('/v1/tenant/profile/change-password', {
      method: 'PUT',
      apiKey: tenant.apiKey,
      token,
      body: { existingPassword: tenant.password, newPassword: newPasswordFor(), concurrencyStamp: stamp },
      ...override,
    });
    expectFailure(reply, 401, 'UNAUTHORIZED');
    expect((await storedTenant(tenant.id))?.concurrency_stamp).toBe(stamp);
  });

  it('should never put a password, hash or token secret in a response', async () => {
    const { tenant, token, stamp } = await tenantReadyToChange();
    const newPassword = newPasswordFor();
    const replies = [
      await changePassword(tenant, token, { existingPassword: 'wrong one', newPassword, concurrencyStamp: stamp }),
      await changePassword(tenant, token, { existingPassword: tenant.password, newPassword: 'short', concurrencyStamp: stamp }),
      await changePassword(tenant, token, { existingPassword: tenant.password, newPassword, concurrencyStamp: stamp }),
    ];
    const hash = (await storedTenant(tenant.id))?.password_hash ?? '';
    const secret = token.split('.')[2];
    for (const reply of replies) {
      for (const leaked of [tenant.password, newPassword, 'wrong one', hash, hash.split('$')[3], secret, 'pbkdf2']) {
        expect(reply.text).not.toContain(leaked);
      }
    }
  });
});
