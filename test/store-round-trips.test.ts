import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { aroundStoreCalls, type StoreCall } from '../bench/distance';
import { expectFailure, expectSuccess } from './support/envelope';
import { envWith, faultyD1 } from './support/faults';
import { recordingStoreCalls } from './support/store-calls';
import { changePassword, loginReply, registerTenant, tenantReadyToChange } from './support/tenants';

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
