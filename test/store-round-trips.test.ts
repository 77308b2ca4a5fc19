import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { aroundStoreCalls, type StoreCall } from '../bench/distance';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1 } from './support/faults';
import { freshPassphrase, wrongPassword } from './support/builders';
import { laggingReplica } from './support/replica';
import { recordingStoreCalls, storeCallRounds } from './support/store-calls';
import { changePassword, loginReply, loginWithDevice, registerTenant, tenantReadyToChange } from './support/tenants';

// Which calls to D1 and the Durable Objects overlap, the property that keeps a far client's round
// trips few (npm run bench measures how many). No timing: `held` returns only once `awaited` has
// started, or after a generous bound if it never starts while `held` is in flight.
const BOUND_MS = 2_000;

/** Bindings that hold the first call matching `held` until a call matching `awaited` starts, and tell whether it did. */
function overlapProbe(held: RegExp, awaited: RegExp) {
  let awaitedStarted = false;
  let signal = () => {};
  const started = new Promise<void>((resolve) => (signal = resolve));
  const seen: { overlapped: boolean | undefined } = { overlapped: undefined };
  const label = (call: StoreCall) => `${call.store}:${call.name}`;
  const bindings = aroundStoreCalls(env, async (call, run) => {
    if (awaited.test(label(call))) {
      awaitedStarted = true;
      signal();
    }
    if (seen.overlapped !== undefined || !held.test(label(call))) return run();
    const result = await run();
    await Promise.race([started, new Promise((resolve) => setTimeout(resolve, BOUND_MS))]);
    seen.overlapped = awaitedStarted;
    return result;
  });
  return { bindings, seen };
}

describe('calls to the central stores a password change makes', () => {
  it('should validate the session and admit the check in one Durable Object call, then commit, settle and tell the login object', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const { bindings, calls } = recordingStoreCalls();

    expectSuccess(await changePassword(tenant, token, body(), { env: bindings }));

    // noteChange tells the user name's login object of the change, alongside the settle.
    expect(calls.toSorted()).toEqual(['d1:select', 'd1:update', 'durableObject:beginChange', 'durableObject:finishChange', 'durableObject:noteChange'].toSorted());
  });

  it('should refuse a forged token before any call, the read ahead included', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const { bindings, calls } = recordingStoreCalls();

    expectFailure(await changePassword(tenant, `${token.slice(0, -4)}AAAA`, body(), { env: bindings }), 401, 'UNAUTHORIZED');

    expect(calls).toEqual([]);
  });
});

describe('calls to the central stores that overlap', () => {
  it('should read the tenant and its history in one D1 statement while the session is validated', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const probe = overlapProbe(/^durableObject:beginChange$/, /^d1:select .*from "password_history".* from "tenants"/s);

    expectSuccess(await changePassword(tenant, token, body(), { env: probe.bindings }));

    expect(probe.seen.overlapped).toBe(true);
  });

  it('should answer UNAUTHORIZED to a forged token whatever D1 does', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const forged = `${token.slice(0, -4)}AAAA`;
    const reply = await changePassword(tenant, forged, body(), { env: envWith({ DB: faultyD1({ failOn: /from "tenants"/ }) }) });
    expectFailure(reply, 401, 'UNAUTHORIZED');
  });

  it('should settle the login check and open the session at once', async () => {
    const tenant = await registerTenant();
    const probe = overlapProbe(/^durableObject:finishLogin$/, /^durableObject:createSession$/);

    expectSuccess(await loginReply(tenant, { env: probe.bindings }));

    expect(probe.seen.overlapped).toBe(true);
  });
});

describe('sequential store calls of a login', () => {
  const device = (deviceToken: string) => ({ 'X-Device-Token': deviceToken });

  it('should take 2 for a known device: its budget, the tenant read and its login object at once, then the settles and the session at once', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    const probe = storeCallRounds();

    expectSuccess(await loginReply(tenant, { headers: device(deviceToken), env: probe.bindings }));

    expect(probe.rounds()).toBe(2);
    expect(probe.byRound()).toEqual([
      ['d1:select', 'durableObject:admit', 'durableObject:beginLogin'],
      ['durableObject:createSession', 'durableObject:finishLogin', 'durableObject:settle'],
    ]);
  });

  it('should take 2 for a known device whose password is wrong, the failure counted before the answer', async () => {
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    const probe = storeCallRounds();

    expectFailure(await loginReply(tenant, { password: wrongPassword(), headers: device(deviceToken), env: probe.bindings }), 401, 'INVALID_CREDENTIALS');

    expect(probe.rounds()).toBe(2);
    expect(probe.byRound()[1]).toEqual(['d1:insert', 'durableObject:finishLogin', 'durableObject:settle']);
  });

  it('should take 3 for a client without a device token: the login object is asked only once its budget admitted it', async () => {
    const tenant = await registerTenant();
    const probe = storeCallRounds();

    expectSuccess(await loginReply(tenant, { env: probe.bindings }));

    expect(probe.byRound()).toEqual([
      ['d1:select', 'durableObject:admit'],
      ['durableObject:beginLogin'],
      ['durableObject:createSession', 'durableObject:finishLogin', 'durableObject:settle'],
    ]);
  });

  it('should take 2 for a known device after a change it made, the login object told of the change', async () => {
    const { tenant, token, body } = await tenantReadyToChange();
    const { deviceToken } = await loginWithDevice(tenant);
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));
    const probe = storeCallRounds();

    expectSuccess(await loginReply(tenant, { password: newPassword, headers: device(deviceToken), env: probe.bindings }));

    expect(probe.rounds()).toBe(2);
  });

  it('should take 2 with read replication on, reading the tenant at the replica', async () => {
    const replica = laggingReplica();
    const tenant = await registerTenant();
    const { deviceToken } = await loginWithDevice(tenant);
    await replica.catchUp(tenant.id);
    const probe = storeCallRounds(replica.bindings);

    expectSuccess(await loginReply(tenant, { headers: device(deviceToken), env: probe.bindings }));

    expect(probe.rounds()).toBe(2);
    expect(replica.reads).toEqual({ primary: 0, replica: 1 });
  });

  it('should take 3 when the replica has not seen the last change: the primary is read once more, after the login object said so', async () => {
    const replica = laggingReplica();
    const { tenant, token, body } = await tenantReadyToChange();
    const { deviceToken } = await loginWithDevice(tenant);
    await replica.catchUp(tenant.id);
    const newPassword = freshPassphrase();
    expectSuccess(await changePassword(tenant, token, body({ newPassword })));
    const probe = storeCallRounds(replica.bindings);

    expectSuccess(await loginReply(tenant, { password: newPassword, headers: device(deviceToken), env: probe.bindings }));

    expect(probe.byRound()).toEqual([
      ['d1:select', 'durableObject:admit', 'durableObject:beginLogin'],
      ['d1:select'],
      ['durableObject:createSession', 'durableObject:finishLogin', 'durableObject:settle'],
    ]);
    expect(replica.reads).toEqual({ primary: 1, replica: 1 });
  });
});
