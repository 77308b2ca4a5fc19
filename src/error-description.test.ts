import { describe, expect, it } from 'vitest';
import { describeError, loggableMessage } from './error-description';

describe('describing an error for the log', () => {
  it("should cut drizzle's bound parameters and keep the statement", () => {
    const message = 'Failed query: insert into "tenants" ("id", "password_hash") values (?, ?)\nparams: T1,pbkdf2-sha512$100000$c2FsdA==$a2V5';
    expect(loggableMessage(message)).toBe('Failed query: insert into "tenants" ("id", "password_hash") values (?, ?)');
  });

  it('should replace quoted SQL literals, also an unterminated one', () => {
    expect(loggableMessage("D1_TYPE_ERROR: Type 'object' not supported for value 'it''s secret'")).toBe(
      "D1_TYPE_ERROR: Type '…' not supported for value '…'",
    );
    expect(loggableMessage("near 'secret-start")).toBe("near '…'");
  });

  it('should keep at most a bounded prefix on one line', () => {
    const described = loggableMessage(`first line\n${'x'.repeat(1000)}`);
    expect(described).toMatch(/^first line x+…$/);
    expect(described.length).toBeLessThanOrEqual(161);
  });

  it('should name each cause, at most three deep', () => {
    const root = new Error('D1_ERROR: Network connection lost');
    const chain = new Error('a', { cause: new Error('b', { cause: new TypeError('c', { cause: new Error('d', { cause: root }) }) }) });
    expect(describeError(chain)).toBe('Error: a ← Error: b ← TypeError: c ← Error: d');
  });

  it('should give only the type of a thrown value that is not an error', () => {
    expect(describeError('pbkdf2-sha512$100000$c2FsdA==$a2V5')).toBe('thrown string');
    expect(describeError(undefined)).toBeUndefined();
  });
});
