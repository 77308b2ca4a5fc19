import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/auth/password';
import { freshPassphrase } from './support/builders';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { derivationsDuring } from './support/pbkdf2-limit';
import { changePassword, login, stampReply, tenantReadyToChange } from './support/tenants';

const MAX_FAILED_ATTEMPTS = 5;

describe('PUT /v1/tenant/profile/change-password, concurrently', () => {
  it('should let exactly one of 50 concurrent changes holding the same stamp win, rotating the stamp once', async () => {
    const { tenant, token, stamp, body } = await tenantReadyToChange();
    const candidates = Array.from({ length: 50 }, () => freshPassphrase());

    const replies = await Promise.all(candidates.map((newPassword) => changePassword(tenant, token, body({ newPassword }))));

    const winners = replies.flatMap((reply, i) => (reply.body.succeeded ? [candidates[i]] : []));
    expect(winners).toHaveLength(1);
    const losers = replies.filter((r) => !r.body.succeeded);
    expect(losers).toHaveLength(49);
    for (const reply of losers) expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');

    const stored = await tenantRow(tenant.id);
    const verdicts = await Promise.all(candidates.map((c) => verifyPassword(c, stored!.password_hash!)));
    expect(candidates.filter((_, i) => verdicts[i])).toEqual(winners);
    expect(stored?.concurrency_stamp).not.toBe(stamp);
    expect(await rowCount('password_history', tenant.id)).toBe(1);
    expect(await rowCount('audit_events', tenant.id, "outcome = 'success'")).toBe(1);
    await login(tenant, winners[0]);
  });

  it('should keep tenants apart when many log in and change at once', async () => {
    const setups = await Promise.all(Array.from({ length: 8 }, () => tenantReadyToChange()));
    const bystanders = await Promise.all(setups.map(({ tenant }) => login(tenant)));
    const newPasswords = setups.map(() => freshPassphrase());

    const replies = await Promise.all(
      setups.map(({ tenant, token, body }, i) => changePassword(tenant, token, body({ newPassword: newPasswords[i] }))),
    );

    replies.forEach((reply, i) => expect(expectSuccess(reply)).toBe(setups[i].tenant.id));
    await Promise.all(setups.map(({ tenant }, i) => login(tenant, newPasswords[i])));
    for (const [i, { tenant, token }] of setups.entries()) {
      expectSuccess(await stampReply(tenant, token));
      expectFailure(await stampReply(tenant, bystanders[i]), 401, 'UNAUTHORIZED');
    }
    // A token is bound to its tenant: one tenant's session cannot act for another.
    const [first, second] = setups;
    const forged = second.token.replace(second.tenant.id, first.tenant.id);
    expectFailure(await stampReply(first.tenant, forged), 401, 'UNAUTHORIZED');
  });
});

describe('PUT /v1/tenant/profile/change-password, wrong existing passwords', () => {
  it('should refuse the session after 5 wrong existing passwords, with Retry-After and without deriving, and revoke it', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const attempt = (existingPassword: string) => changePassword(tenant, token, body({ existingPassword }));
    for (let i = 0; i < MAX_FAILED_ATTEMPTS; i++) expectFailure(await attempt(`wrong guess ${i}`), 400, 'MISMATCH_EXISTING_PASSWORD');

    let locked: Awaited<ReturnType<typeof attempt>> | undefined;
    const derivations = await derivationsDuring(async () => {
      locked = await attempt(tenant.password);
    });

    expectFailure(locked!, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(locked!.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(derivations).toHaveLength(0);
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    await login(tenant);
  });

  it('should not let concurrent wrong guesses slip past the limit', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const guess = (i: number) => changePassword(tenant, token, body({ existingPassword: `wrong ${i}` }));

    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => guess(i)));
    const statuses = replies.map((r) => r.body.status);
    const checked = statuses.filter((s) => s === 'MISMATCH_EXISTING_PASSWORD').length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(MAX_FAILED_ATTEMPTS);
    // The others lost the race for the stamp, or found the tenant locked; none ran a password check.
    expect(statuses.every((s) => ['MISMATCH_EXISTING_PASSWORD', 'CHANGE_PASSWORD_FAILED', 'TOO_MANY_ATTEMPTS'].includes(s))).toBe(
      true,
    );
    // Whatever got through, the sixth checked guess of the session is refused, and the session ends.
    const remaining = MAX_FAILED_ATTEMPTS - checked;
    for (let i = 0; i < remaining; i++) expectFailure(await guess(100 + i), 400, 'MISMATCH_EXISTING_PASSWORD');
    expectFailure(await guess(200), 429, 'TOO_MANY_ATTEMPTS');
    expectFailure(await guess(300), 401, 'UNAUTHORIZED');
  });
});
