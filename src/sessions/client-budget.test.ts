import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { CLIENT_BUDGET_WINDOW_MS } from '../config';
import type { BudgetAdmission } from './client-budget';

const LIMIT = 2;
const budget = () => env.CLIENT_BUDGETS.get(env.CLIENT_BUDGETS.idFromName(`client-budget:test:${crypto.randomUUID()}`));
type Stub = ReturnType<typeof budget>;

async function fail(stub: Stub): Promise<void> {
  const admission = (await stub.admit(LIMIT)) as BudgetAdmission;
  if (admission.outcome !== 'admitted') throw new Error(`not admitted: ${JSON.stringify(admission)}`);
  await stub.settle(admission.checkId, true, LIMIT);
}

/** Moves the stored window back, as if it had started that long ago. */
const ageWindow = (stub: Stub, ms: number) =>
  runInDurableObject(stub, (_, state) => {
    const window = state.storage.kv.get<{ startedAt: number; failures: number }>('window')!;
    state.storage.kv.put('window', { ...window, startedAt: window.startedAt - ms });
  });

describe('ClientBudget', () => {
  it('should refuse once the window holds LIMIT failures, and admit again once it has passed', async () => {
    const stub = budget();
    for (let i = 0; i < LIMIT; i++) await fail(stub);

    const refused = (await stub.admit(LIMIT)) as BudgetAdmission;
    await ageWindow(stub, CLIENT_BUDGET_WINDOW_MS);
    const later = (await stub.admit(LIMIT)) as BudgetAdmission;

    expect(refused).toMatchObject({ outcome: 'refused' });
    expect(later).toMatchObject({ outcome: 'admitted', remaining: LIMIT });
  });

  it('should not count a verified check', async () => {
    const stub = budget();
    const admission = (await stub.admit(LIMIT)) as Extract<BudgetAdmission, { outcome: 'admitted' }>;

    const left = await stub.settle(admission.checkId, false, LIMIT);

    expect(left.remaining).toBe(LIMIT);
    expect(await runInDurableObject(stub, (_, state) => state.storage.kv.get('window'))).toBeUndefined();
  });

  it('should keep nothing once its window has passed', async () => {
    const stub = budget();
    await fail(stub);
    await ageWindow(stub, CLIENT_BUDGET_WINDOW_MS);

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await runInDurableObject(stub, (_, state) => [...state.storage.kv.list()])).toEqual([]);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
  });
});
