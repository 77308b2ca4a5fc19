import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { issueResetToken } from '../src/auth/reset-token';
import { tokenSignerFrom } from '../src/auth/token-signing';
import { freshPassphrase, madeUpResetToken } from './support/builders';
import { captureConsoleLines } from './support/console-lines';
import { rowCount, tenantRow } from './support/db';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1, faultyDurableObjects, pausedDurableObjects } from './support/faults';
import type { Reply } from './support/request';
import { clientAddress, completeResetReply, from, inObject, issueReset, sessionsOf } from './support/resets';
import { recordingStoreCalls } from './support/store-calls';
import { changePassword, createApiKey, login, loginReply, registerTenant, requestStamp, stampReply, uniqueBusiness } from './support/tenants';

/** A smaller client budget, set the way an operator would (the var), so a test spends it in a few tries. */
const SMALL_LIMIT = 3;
const smallLimit = (): Env => envWith({ LOGIN_FAILURES_PER_MINUTE: String(SMALL_LIMIT) } as Partial<Env>);
const remaining = (reply: Reply) => Number(/;r=(\d+);/.exec(reply.headers.get('RateLimit') ?? '')?.[1]);

/** The password D1 holds for the tenant, by whether a login with it succeeds. */
const passwordIs = async (tenant: Awaited<ReturnType<typeof registerTenant>>, password: string) =>
  (await loginReply(tenant, { password })).status === 200;

describe('guessed reset tokens', () => {
  it('should answer 409 to each well-formed token nobody issued, count it, then refuse the client with 429 while the owner logs in from elsewhere', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const attacker = from(clientAddress());
    const guesses: Reply[] = [];
    for (let i = 0; i < SMALL_LIMIT; i++) {
      // Half of them name the real tenant: the tenant id is no secret.
      const resetToken = madeUpResetToken(i % 2 === 0 ? tenant.id : undefined);
      guesses.push(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { ...attacker, env: smallLimit() }));
    }

    for (const reply of guesses) expectFailure(reply, 409, 'RESET_TOKEN_INVALID');
    expect(guesses.map(remaining)).toEqual([2, 1, 0]);
    const refused = await completeResetReply(tenant.apiKey, { resetToken: (await issueReset(tenant)).resetToken, newPassword: freshPassphrase() }, {
      ...attacker,
      env: smallLimit(),
    });
    expectFailure(refused, 429, 'TOO_MANY_ATTEMPTS');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(refused.headers.get('RateLimit')).toMatch(/;r=0;/);
    // The same budget as logins: that client's logins through that key are refused too.
    expectFailure(await loginReply(tenant, { ...attacker, env: smallLimit() }), 429, 'TOO_MANY_ATTEMPTS');
    expectSuccess(await loginReply(tenant, { ...from(clientAddress()), env: smallLimit() }));
  });

  it('should share the budget failed logins spend: a client that spent it on logins gets 429 at once', async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const attacker = from(clientAddress());
    for (let i = 0; i < SMALL_LIMIT; i++) await loginReply(tenant, { password: `wrong-${i}-${crypto.randomUUID()}`, ...attacker, env: smallLimit() });
    const { resetToken } = await issueReset(tenant);

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { ...attacker, env: smallLimit() }), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('should refuse a made-up token for a real tenant asking the client budget and nothing else', async () => {
    const tenant = await registerTenant();
    await issueReset(tenant);
    const { bindings, calls } = recordingStoreCalls();

    const reply = await completeResetReply(tenant.apiKey, { resetToken: madeUpResetToken(tenant.id), newPassword: freshPassphrase() }, { env: bindings });

    expectFailure(reply, 409, 'RESET_TOKEN_INVALID');
    expect(calls).toEqual(['durableObject:admit', 'durableObject:settle']);
  });

  it('should refuse a session token, or a real token with its secret edited, as a reset token', async () => {
    const tenant = await registerTenant();
    const session = await login(tenant);
    const { resetToken } = await issueReset(tenant);
    const [tenantId, tokenId, , mac] = resetToken.split('.');
    const edited = `${tenantId}.${tokenId}.${madeUpResetToken().split('.')[2]}.${mac}`;

    for (const token of [session, edited]) {
      expectFailure(await completeResetReply(tenant.apiKey, { resetToken: token, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');
    }
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }));
  });
});

describe('a reset token used out of turn', () => {
  it('should answer 409 to a replay, without changing the password again', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const first = freshPassphrase();
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: first }));

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');

    expect(await passwordIs(tenant, first)).toBe(true);
  });

  it('should refuse a replay by D1 alone when the object could not be told the token was used', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const first = freshPassphrase();
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: first }, { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['finishReset']) }) }));
    await runInDurableObject(sessionsOf(tenant), (_instance, state) => state.storage.sql.exec('DELETE FROM claims'));

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');

    expect(await passwordIs(tenant, first)).toBe(true);
  });

  it('should answer 409 to a token superseded by a newer one, and accept the newer one', async () => {
    const tenant = await registerTenant();
    const older = await issueReset(tenant);
    const newer = await issueReset(tenant);

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken: older.resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken: newer.resetToken, newPassword: freshPassphrase() }));
  });

  it('should answer 409 to an expired token, whose row the alarm then prunes, deleting the storage it was alone in', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    // Time is moved as elsewhere in the suite: by rewriting the object's own timestamps.
    await runInDurableObject(sessionsOf(tenant), (_instance, state) => state.storage.sql.exec('UPDATE reset_tokens SET expires_at = ?', Date.now() - 1));

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');

    expect(await runDurableObjectAlarm(sessionsOf(tenant))).toBe(true);
    const left = await runInDurableObject(sessionsOf(tenant), async (_instance, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray().length,
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: 0, alarm: null });
    expect(await passwordIs(tenant, tenant.password)).toBe(true);
  });

  it('should keep the storage of an object whose reset token is still valid', async () => {
    const tenant = await registerTenant();
    await issueReset(tenant);

    expect(await runDurableObjectAlarm(sessionsOf(tenant))).toBe(true);

    expect(await inObject(tenant, 'SELECT id FROM reset_tokens')).toHaveLength(1);
  });

  it("should answer 409 to another business's key, with the token or a copy made for that business, and change nothing", async () => {
    const tenant = await registerTenant({ business: uniqueBusiness() });
    const { resetToken } = await issueReset(tenant);
    const outsiderBusiness = uniqueBusiness();
    const outsider = await createApiKey({ business: outsiderBusiness, kind: 'server' });
    // The service's own signing key, the token made for the outsider's business.
    const forOutsider = (await issueResetToken(tokenSignerFrom(env), outsiderBusiness, tenant.id)).token;

    for (const token of [resetToken, forOutsider]) {
      expectFailure(await completeResetReply(outsider, { resetToken: token, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');
    }

    expect(await passwordIs(tenant, tenant.password)).toBe(true);
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }));
  });
});

describe('completions racing', () => {
  it('should let exactly one of concurrent completions with one token succeed', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const passwords = Array.from({ length: 6 }, () => freshPassphrase());

    const replies = await Promise.all(passwords.map((newPassword) => completeResetReply(tenant.apiKey, { resetToken, newPassword }, from(clientAddress()))));

    const won = replies.flatMap((reply, i) => (reply.status === 200 ? [passwords[i]] : []));
    expect(won).toHaveLength(1);
    for (const reply of replies.filter((r) => r.status !== 200)) expectFailure(reply, 409, 'RESET_TOKEN_INVALID');
    expect(await passwordIs(tenant, won[0])).toBe(true);
    expect(await rowCount('audit_events', tenant.id, "event = 'password.reset'")).toBe(1);
  });

  it('should let one of a change and a reset racing win, and leave no session from before a winning reset', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const bystander = await login(tenant);
    const stamp = await requestStamp(tenant, token);
    const { resetToken } = await issueReset(tenant);
    const [changed, reset] = [freshPassphrase(), freshPassphrase()];

    const [change, completion] = await Promise.all([
      changePassword(tenant, token, { existingPassword: tenant.password, newPassword: changed, concurrencyStamp: stamp }),
      completeResetReply(tenant.apiKey, { resetToken, newPassword: reset }),
    ]);

    expect([change.status, completion.status].filter((status) => status === 200)).toHaveLength(1);
    expectFailure(await stampReply(tenant, bystander), 401, 'UNAUTHORIZED');
    if (completion.status === 200) {
      expectFailure(change, 409, 'CHANGE_PASSWORD_FAILED');
      expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
      expect(await passwordIs(tenant, reset)).toBe(true);
    } else {
      expectFailure(completion, 409, 'RESET_TOKEN_INVALID');
      expect(await passwordIs(tenant, changed)).toBe(true);
    }
  });

  it('should leave a stamp issued before a reset unusable, from any session', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const stamp = await requestStamp(tenant, token);
    const { resetToken } = await issueReset(tenant);
    const reset = freshPassphrase();
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: reset }));
    const after = await login(tenant, reset);

    const reply = await changePassword(tenant, after, { existingPassword: reset, newPassword: freshPassphrase(), concurrencyStamp: stamp });

    expectFailure(reply, 409, 'CHANGE_PASSWORD_FAILED');
    expectFailure(await stampReply(tenant, token), 401, 'UNAUTHORIZED');
    expect(await passwordIs(tenant, reset)).toBe(true);
  });

  it('should refuse a reset admitted before a change committed: the change wins and its session stays', async () => {
    const tenant = await registerTenant();
    const token = await login(tenant);
    const stamp = await requestStamp(tenant, token);
    const { resetToken } = await issueReset(tenant);
    const paused = pausedDurableObjects('beginReset');
    const completion = completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { env: envWith({ TENANT_SESSIONS: paused.namespace }) });
    await paused.reached;
    const changed = freshPassphrase();

    expectSuccess(await changePassword(tenant, token, { existingPassword: tenant.password, newPassword: changed, concurrencyStamp: stamp }));
    paused.release();

    expectFailure(await completion, 409, 'RESET_TOKEN_INVALID');
    expect(await passwordIs(tenant, changed)).toBe(true);
    expectSuccess(await stampReply(tenant, token));
  });

  it('should give a login that verified the old password no session once a reset has settled', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);
    const paused = pausedDurableObjects('createSession');
    const racingLogin = loginReply(tenant, { env: envWith({ TENANT_SESSIONS: paused.namespace }) });
    await paused.reached;

    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }));
    paused.release();

    expectFailure(await racingLogin, 401, 'INVALID_CREDENTIALS');
    expect(await inObject(tenant, "SELECT id FROM sessions")).toEqual([]);
  });
});

describe('D1 failing during a completion', () => {
  const RESET_WRITE = /^update "tenants" set "password_hash"/;
  const READ_BACK = /^select "created_at" from "audit_events"/;

  it('should leave the token usable and the password unchanged when the write did not commit', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);

    const reply = await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { env: envWith({ DB: faultyD1({ failOn: RESET_WRITE }) }) });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect(await passwordIs(tenant, tenant.password)).toBe(true);
    const retried = freshPassphrase();
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: retried }));
    expect(await passwordIs(tenant, retried)).toBe(true);
  });

  it('should answer 200 for a write that committed though D1 reported an error, consuming the token and revoking every session', async () => {
    const tenant = await registerTenant();
    const session = await login(tenant);
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();

    const reply = await completeResetReply(tenant.apiKey, { resetToken, newPassword }, { env: envWith({ DB: faultyD1({ failOn: RESET_WRITE, afterCommit: true }) }) });

    expectSuccess(reply);
    expectFailure(await stampReply(tenant, session), 401, 'UNAUTHORIZED');
    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');
    expect(await passwordIs(tenant, newPassword)).toBe(true);
  });

  it.each([
    { case: 'committed', afterCommit: true },
    { case: 'did not commit', afterCommit: false },
  ])('should hold the token while the outcome is unknown, then settle it by alarm as the write $case', async ({ afterCommit }) => {
    const tenant = await registerTenant();
    const session = await login(tenant);
    const { resetToken } = await issueReset(tenant);
    const newPassword = freshPassphrase();
    const faults = faultyD1({ failOn: new RegExp(`${RESET_WRITE.source}|${READ_BACK.source}`), afterCommit });

    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword }, { env: envWith({ DB: faults }) }), 500, 'SOMETHING_WENT_WRONG');

    // Held: neither usable nor consumed while nobody knows.
    expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');
    await runInDurableObject(sessionsOf(tenant), (_instance, state) => state.storage.sql.exec('UPDATE claims SET held_until = 0'));
    expect(await runDurableObjectAlarm(sessionsOf(tenant))).toBe(true);
    expect(await inObject(tenant, 'SELECT 1 FROM claims')).toEqual([]);

    if (afterCommit) {
      expect(await passwordIs(tenant, newPassword)).toBe(true);
      expectFailure(await stampReply(tenant, session), 401, 'UNAUTHORIZED');
      expectFailure(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }), 409, 'RESET_TOKEN_INVALID');
    } else {
      expect(await passwordIs(tenant, tenant.password)).toBe(true);
      expectSuccess(await stampReply(tenant, session));
      expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword }));
    }
  });

  it('should answer 500 and keep the token when the tenant object cannot be reached', async () => {
    const tenant = await registerTenant();
    const { resetToken } = await issueReset(tenant);

    const reply = await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }, { env: envWith({ TENANT_SESSIONS: faultyDurableObjects(['beginReset']) }) });

    expectFailure(reply, 500, 'SOMETHING_WENT_WRONG');
    expect((await tenantRow(tenant.id))!.password_changed_at).toBeNull();
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword: freshPassphrase() }));
  });
});

describe('reset tokens in the logs', () => {
  const lines = captureConsoleLines();

  it('should never log a reset token, its secret or the new password, whatever the outcome', async () => {
    const tenant = await registerTenant();
    const older = await issueReset(tenant);
    const { resetToken } = await issueReset(tenant);
    const refused = 'password123';
    const newPassword = freshPassphrase();
    await completeResetReply(tenant.apiKey, { resetToken: older.resetToken, newPassword });
    await completeResetReply(tenant.apiKey, { resetToken, newPassword: refused });
    await completeResetReply(tenant.apiKey, { resetToken, newPassword }, { env: envWith({ DB: faultyD1({ failOn: /^update "tenants" set "password_hash"/ }) }) });
    expectSuccess(await completeResetReply(tenant.apiKey, { resetToken, newPassword }));
    const stored = (await tenantRow(tenant.id))!;

    const output = lines.join('\n');
    expect(output).toContain('password.reset.issued');
    expect(output).toContain('password.reset.refused');
    expect(output).toContain('password.reset.commit_uncertain');
    expect(output).toContain('password.reset.succeeded');
    for (const secret of [resetToken, resetToken.split('.')[2], older.resetToken, older.resetToken.split('.')[2], newPassword, refused, stored.password_hash!]) {
      expect(output).not.toContain(secret);
    }
  });
});
