import { describe, expect, it } from 'vitest';
import { findPasswordPolicyViolation } from './password-policy';

const jane = { userName: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Fitzgerald' };

describe('password policy', () => {
  it.each([
    ['a long random passphrase', 'violet tractor sunrise 42'],
    ['exactly 8 characters', 'k7#Qp2!x'],
    ['exactly 128 characters', 'a1b2c3d4'.repeat(16)],
    ['non-Latin characters', 'пароль-для-склада-7'],
    ['a short first name inside a longer phrase', 'bob sat on the quiet hill'],
  ])('should accept %s', (_name, password) => {
    expect(findPasswordPolicyViolation(password, 8, { userName: 'bob@example.com', firstName: 'Bo', lastName: 'Li' })).toBeNull();
  });

  it.each([
    ['7 characters', 'k7#Qp2!', /at least 8/],
    ['129 characters', 'a1b2c3d4'.repeat(16) + 'x', /at most 128/],
    ['a very common password', 'password1', /too common/],
    ['a common password in another case', 'QWERTYUIOP', /too common/],
    ['the email address', 'jane.doe@example.com', /user name/],
    ['the email local part decorated', 'JaneDoe2024!', /user name/],
    ['the last name with digits', 'Fitzgerald1987', /user name/],
    ['the last name inside a phrase', 'my name is fitzgerald ok', /user name/],
    ['the service name', 'StoRegister2024', /user name/],
  ])('should reject %s and say which rule', (_name, password, rule) => {
    expect(findPasswordPolicyViolation(password, 8, jane)).toMatch(rule);
  });

  it('should count length in code points after normalization', () => {
    expect(findPasswordPolicyViolation('🔐🔑🔒🔓🛡🧷', 8)).toMatch(/at least 8/); // 6 code points, 12 UTF-16 units
    expect(findPasswordPolicyViolation('🔐🔑🔒🔓🛡🧷🧲🧰', 8)).toBeNull();
  });

  it('should reject the existing password, also in another normalization form', () => {
    const existing = 'Crème brûlée forever'.normalize('NFC');
    expect(findPasswordPolicyViolation(existing.normalize('NFD'), 8, { existingPassword: existing })).toMatch(
      /differ from the existing/,
    );
  });

  it('should honour a configured minimum length', () => {
    expect(findPasswordPolicyViolation('fourteen chars', 15)).toMatch(/at least 15/);
    expect(findPasswordPolicyViolation('fifteen chars!!', 15)).toBeNull();
  });
});
