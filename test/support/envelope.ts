import { expect } from 'vitest';
import { ERRORS } from '../../src/errors';
import type { Reply } from './request';

const ERROR_CODES: string[] = Object.keys(ERRORS);

/** The envelope of the contract, on any answer: its shape, its headers, and a status that fits its code. */
export function expectEnvelope(reply: Reply): void {
  expect(reply.headers.get('Content-Type'), reply.text).toBe('application/json; charset=utf-8');
  expect(reply.headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(Object.keys(reply.body).sort()).toEqual(['data', 'errors', 'status', 'succeeded']);
  expect(typeof reply.body.succeeded).toBe('boolean');
  if (reply.body.succeeded) {
    expect(reply.status).toBeLessThan(300);
    expect(reply.body.status).toBe('SUCCESS');
    expect(reply.body.errors).toBeNull();
    return;
  }
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.body.data).toBeNull();
  expect(Array.isArray(reply.body.errors) && reply.body.errors.length > 0, reply.text).toBe(true);
  const [first] = reply.body.errors!;
  expect(first.code).toBe(reply.body.status);
  for (const error of reply.body.errors!) {
    expect(ERROR_CODES).toContain(error.code);
    expect(typeof error.message).toBe('string');
  }
  if (first.code !== 'FAILED') expect(reply.status).toBe(ERRORS[first.code as keyof typeof ERRORS].status);
  if (reply.status === 429) expect(Number(reply.headers.get('Retry-After'))).toBeGreaterThan(0);
}

/** What hostile input may get: the envelope, and never a server fault. */
export function expectHandled(reply: Reply): void {
  expect(reply.status, reply.text).toBeLessThan(500);
  expectEnvelope(reply);
}

/** Asserts a failure envelope with this status and code, and returns its first error. */
export function expectFailure(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, code: reply.body.status }, reply.text).toEqual({ status, code });
  expectEnvelope(reply);
  return reply.body.errors![0];
}

/** Asserts a success envelope with this status, and returns its data. */
export function expectSuccess<T>(reply: Reply<T>, status = 200): T {
  expect(reply.body.errors, reply.text).toBeNull();
  expect(reply.status).toBe(status);
  expectEnvelope(reply);
  return reply.body.data;
}
