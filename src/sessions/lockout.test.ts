import { describe, expect, it } from 'vitest';
import { MAX_LOCKOUT_MINUTES } from '../config';
import { forgetAt, judgeAttempt, type AttemptCounter } from './lockout';

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
  it('should count the first check of a scope that has no counter, opening a window now', () => {
    expect(judgeAttempt(undefined, NOW, settings)).toEqual({
      outcome: 'counted',
      counter: { failures: 1, windowStartedAt: NOW, lockedUntil: 0, lockouts: 0 },
    });
  });

  it.each([
    { case: 'no failure yet', failures: 0, expected: 1 },
    { case: 'one failure', failures: 1, expected: 2 },
    { case: 'one check left', failures: 4, expected: 5 },
  ])('should count a check within the window and its budget ($case)', ({ failures, expected }) => {
    const verdict = judgeAttempt(counter({ failures }), NOW, settings);

    expect(verdict).toEqual({ outcome: 'counted', counter: counter({ failures: expected }) });
  });

  it('should start a fresh window once the old one has passed, however many failures it held', () => {
    const old = counter({ failures: 5, windowStartedAt: NOW - settings.failedAttemptWindowMs, lockouts: 2 });

    expect(judgeAttempt(old, NOW, settings)).toEqual({
      outcome: 'counted',
      counter: { failures: 1, windowStartedAt: NOW, lockedUntil: 0, lockouts: 2 },
    });
  });

  it.each([
    { lockouts: 0, minutes: 15 },
    { lockouts: 1, minutes: 30 },
    { lockouts: 2, minutes: 60 },
    { lockouts: 6, minutes: 960 },
    { lockouts: 7, minutes: MAX_LOCKOUT_MINUTES },
    { lockouts: 40, minutes: MAX_LOCKOUT_MINUTES },
  ])('should lock out for $minutes minutes when the budget is spent after $lockouts lockouts', ({ lockouts, minutes }) => {
    const verdict = judgeAttempt(counter({ failures: 5, lockouts }), NOW, settings);

    expect(verdict).toEqual({
      outcome: 'lockout',
      retryAfterSeconds: minutes * 60,
      counter: { failures: 0, windowStartedAt: NOW, lockedUntil: NOW + minutes * MINUTE, lockouts: lockouts + 1 },
    });
  });

  it.each([
    { left: 1, retryAfterSeconds: 1 },
    { left: 1_001, retryAfterSeconds: 2 },
    { left: 15 * MINUTE, retryAfterSeconds: 900 },
  ])('should refuse during a lockout with $left ms left, rounding up to $retryAfterSeconds s', ({ left, retryAfterSeconds }) => {
    const verdict = judgeAttempt(counter({ lockedUntil: NOW + left, lockouts: 1 }), NOW, settings);

    expect(verdict).toEqual({ outcome: 'locked', retryAfterSeconds });
  });

  it('should count again once the lockout has ended, keeping the lockout history', () => {
    const ended = counter({ windowStartedAt: NOW - 20 * MINUTE, lockedUntil: NOW, lockouts: 1 });

    expect(judgeAttempt(ended, NOW, settings)).toEqual({
      outcome: 'counted',
      counter: { failures: 1, windowStartedAt: NOW, lockedUntil: 0, lockouts: 1 },
    });
  });

  it('should not change the counter it was given', () => {
    const given = counter({ failures: 5 });
    const copy = { ...given };

    judgeAttempt(given, NOW, settings);

    expect(given).toEqual(copy);
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
