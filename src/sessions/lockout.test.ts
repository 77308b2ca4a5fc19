import { describe, expect, it } from 'vitest';
import { MAX_LOCKOUT_MINUTES } from '../config';
import { combine, forgetAt, judgeAttempt, settleCheck, type AttemptCounter } from './lockout';

const MINUTE = 60_000;
const settings = { maxFailedAttempts: 5, failedAttemptWindowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE };
const NOW = 1_800_000_000_000;

const counter = (fields: Partial<AttemptCounter>): AttemptCounter => ({
  failures: 0,
  windowStartedAt: NOW - MINUTE,
  lockedUntil: 0,
  lockouts: 0,
  ...fields,
});

describe('judgeAttempt', () => {
  it('should admit the first check of a scope that has no counter, opening a window now, counting nothing yet', () => {
    expect(judgeAttempt(undefined, 0, NOW, settings)).toEqual({
      outcome: 'admitted',
      counter: { failures: 0, windowStartedAt: NOW, lockedUntil: 0, lockouts: 0 },
    });
  });

  it.each([
    { case: 'no failure, nothing in flight', failures: 0, inFlight: 0 },
    { case: 'four failures', failures: 4, inFlight: 0 },
    { case: 'four checks in flight', failures: 0, inFlight: 4 },
    { case: 'two failures and two checks in flight', failures: 2, inFlight: 2 },
  ])('should admit a check while failures and checks in flight leave room ($case)', ({ failures, inFlight }) => {
    const verdict = judgeAttempt(counter({ failures }), inFlight, NOW, settings);

    expect(verdict).toEqual({ outcome: 'admitted', counter: counter({ failures }) });
  });

  it.each([
    { case: 'five checks in flight', failures: 0, inFlight: 5 },
    { case: 'four failures and one check in flight', failures: 4, inFlight: 1 },
    { case: 'one failure and nine checks in flight', failures: 1, inFlight: 9 },
  ])('should make a check wait, neither refused nor counted, while checks in flight hold the rest ($case)', ({ failures, inFlight }) => {
    expect(judgeAttempt(counter({ failures }), inFlight, NOW, settings)).toEqual({ outcome: 'wait' });
  });

  it('should start a fresh window once the old one has passed, however many failures it held', () => {
    const old = counter({ failures: 5, windowStartedAt: NOW - settings.failedAttemptWindowMs, lockouts: 2 });

    expect(judgeAttempt(old, 0, NOW, settings)).toEqual({
      outcome: 'admitted',
      counter: { failures: 0, windowStartedAt: NOW, lockedUntil: 0, lockouts: 2 },
    });
  });

  it.each([
    { lockouts: 0, minutes: 15 },
    { lockouts: 1, minutes: 30 },
    { lockouts: 2, minutes: 60 },
    { lockouts: 6, minutes: 960 },
    { lockouts: 7, minutes: MAX_LOCKOUT_MINUTES },
    { lockouts: 40, minutes: MAX_LOCKOUT_MINUTES },
  ])('should lock out for $minutes minutes when failures spend the budget after $lockouts lockouts', ({ lockouts, minutes }) => {
    const verdict = judgeAttempt(counter({ failures: 5, lockouts }), 0, NOW, settings);

    expect(verdict).toEqual({
      outcome: 'lockout',
      retryAfterSeconds: minutes * 60,
      counter: { failures: 0, windowStartedAt: NOW, lockedUntil: NOW + minutes * MINUTE, lockouts: lockouts + 1 },
    });
  });

  it('should lock out on spent failures whatever is in flight', () => {
    expect(judgeAttempt(counter({ failures: 5 }), 3, NOW, settings)).toMatchObject({ outcome: 'lockout' });
  });

  it.each([
    { left: 1, retryAfterSeconds: 1 },
    { left: 1_001, retryAfterSeconds: 2 },
    { left: 15 * MINUTE, retryAfterSeconds: 900 },
  ])('should refuse during a lockout with $left ms left, rounding up to $retryAfterSeconds s', ({ left, retryAfterSeconds }) => {
    const verdict = judgeAttempt(counter({ lockedUntil: NOW + left, lockouts: 1 }), 0, NOW, settings);

    expect(verdict).toEqual({ outcome: 'locked', retryAfterSeconds });
  });

  it('should admit again once the lockout has ended, keeping the lockout history', () => {
    const ended = counter({ windowStartedAt: NOW - 20 * MINUTE, lockedUntil: NOW, lockouts: 1 });

    expect(judgeAttempt(ended, 0, NOW, settings)).toEqual({
      outcome: 'admitted',
      counter: { failures: 0, windowStartedAt: NOW, lockedUntil: 0, lockouts: 1 },
    });
  });

  it('should not change the counter it was given', () => {
    const given = counter({ failures: 5 });
    const copy = { ...given };

    judgeAttempt(given, 2, NOW, settings);

    expect(given).toEqual(copy);
  });
});

describe('settleCheck', () => {
  it('should forget the counter, lockout history included, after a verified password', () => {
    expect(settleCheck(counter({ failures: 4, lockouts: 3 }), true, NOW, settings)).toBeUndefined();
  });

  it('should count a failure in the open window', () => {
    expect(settleCheck(counter({ failures: 2, lockouts: 1 }), false, NOW, settings)).toEqual(counter({ failures: 3, lockouts: 1 }));
  });

  it.each([
    { case: 'no counter', given: undefined },
    { case: 'a window that has passed', given: counter({ failures: 4, windowStartedAt: NOW - 15 * MINUTE, lockouts: 1 }) },
  ])('should count a failure in a window opened now, given $case', ({ given }) => {
    const settled = settleCheck(given, false, NOW, settings);

    expect(settled).toEqual({ failures: 1, windowStartedAt: NOW, lockedUntil: 0, lockouts: given?.lockouts ?? 0 });
  });
});

describe('combine', () => {
  it('should add up the failures of open windows and keep the latest window and the longest lockout', () => {
    const combined = combine(
      [
        counter({ failures: 2, windowStartedAt: NOW - 5 * MINUTE, lockouts: 1 }),
        undefined,
        counter({ failures: 3, windowStartedAt: NOW - MINUTE, lockedUntil: NOW + MINUTE }),
      ],
      NOW,
      settings,
    );

    expect(combined).toEqual({ failures: 5, windowStartedAt: NOW - MINUTE, lockedUntil: NOW + MINUTE, lockouts: 1 });
  });

  it('should count nothing of a window that has passed', () => {
    const combined = combine([counter({ failures: 4, windowStartedAt: NOW - 15 * MINUTE }), counter({ failures: 1 })], NOW, settings);

    expect(combined).toEqual(counter({ failures: 1, windowStartedAt: NOW }));
  });

  it('should give nothing for no counters', () => {
    expect(combine([undefined], NOW, settings)).toBeUndefined();
  });
});

describe('forgetAt', () => {
  it.each([
    { case: 'a window without lockout', fields: { windowStartedAt: NOW }, at: NOW + 15 * MINUTE },
    { case: 'a lockout', fields: { windowStartedAt: NOW, lockedUntil: NOW + 30 * MINUTE }, at: NOW + 45 * MINUTE },
  ])('should keep $case for one window after it ends', ({ fields, at }) => {
    expect(forgetAt(counter(fields), settings)).toBe(at);
  });
});
