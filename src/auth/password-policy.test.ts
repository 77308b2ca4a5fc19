import { describe, expect, it } from 'vitest';
import { findPasswordPolicyViolation } from './password-policy';

const jane = { userName: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Fitzgerald', business: 'acme-storage' };
const check = (password: string, context: Parameters<typeof findPasswordPolicyViolation>[2] = jane) =>
  findPasswordPolicyViolation(password, 8, context);

describe('password policy', () => {
  it.each([
    ['a passphrase of ordinary words', 'violet tugboat orchard'],
    ['the README walkthrough passphrase', 'correct horse battery staple'],
    ['a longer passphrase with a number', 'violet tractor sunrise 42'],
    ['a short first name inside a longer phrase', 'bob sat on the quiet hill'],
    ['9 random characters', 'k7#Qp2!xW'],
    ['a long random string', 'Xq7#vL2@pW9!mZ4$rT6^yB1&nC8*'],
    ['128 random characters', 'G5v!Lq8@Zr2#Tw6$Yp1%Hk4^Nb7&Md3*'.repeat(4)],
    ['a Cyrillic passphrase', 'фиолетовый буксир сад'],
    ['a Cyrillic phrase with a digit', 'пароль-для-склада-7'],
    ['a CJK phrase', '紫色的拖船在果园里慢慢地航行'],
    ['a Greek passphrase', 'μωβ ρυμουλκό περιβόλι'],
    ['emoji', '🔐🔑🔒🔓🛡🧷🧲🧰'],
    ['a test builder password', `Pw-${crypto.randomUUID()}`],
    ['a test builder passphrase', `a fresh passphrase ${crypto.randomUUID()}`],
  ])('should accept %s', async (_name, password) => {
    expect(await check(password, { userName: 'bob@example.com', firstName: 'Bo', lastName: 'Li' })).toBeNull();
  });

  it.each([
    ['a repeated letter', 'aaaaaaaa'],
    ['a repeated digit', '00000000'],
    ['eight spaces', '        '],
    ['a repeated symbol', '!!!!!!!!'],
    ['a sequence', 'abcd1234'],
    ['a keyboard row', 'qwertyuiop'],
    ['a common password', 'password1'],
    ['a common password in another case', 'QWERTYUIOP'],
    ['a dictionary word with capitals, digits and a symbol', 'Password123!'],
    ['a season and a year', 'Summer2024'],
    ['a season, a year and a symbol', 'Winter2025!'],
    ['a common password with letter substitutions', 'P@$$w0rd2024'],
    ['a short Cyrillic word', 'пароль12'],
  ])('should refuse %s as guessable, with advice and without echoing it', async (_name, password) => {
    const message = await check(password);
    expect(message).toMatch(/^is too easy to guess/);
    expect(message!.length).toBeGreaterThan('is too easy to guess'.length + 10);
    expect(message).not.toContain(password);
  });

  it.each([
    ['the email address', 'jane.doe@example.com'],
    ['the email local part decorated', 'JaneDoe2024!'],
    ['the last name with digits', 'Fitzgerald1987'],
    ['the last name inside a phrase', 'my name is fitzgerald ok'],
    ['the service name', 'StoRegister2024'],
  ])('should refuse %s as built from the tenant’s own details', async (_name, password) => {
    expect(await check(password)).toMatch(/user name, email, first or last name/);
  });

  it.each([
    ['the business with a year', 'Storix2024!'],
    ['a piece of the email with a year', 'Qzvbrtxk1987'],
  ])('should refuse %s through zxcvbn’s personal dictionary', async (_name, password) => {
    const context = { ...jane, userName: 'qzvbrtxk.wp@example.com', business: 'storix' };
    expect(await check(password, context)).toMatch(/too easy to guess/);
    expect(await check(password, { userName: 'someone@example.com' })).toBeNull();
  });

  it.each([
    ['7 characters', 'k7#Qp2!', /at least 8/],
    ['129 characters', 'a1b2c3d4'.repeat(16) + 'x', /at most 128/],
  ])('should refuse %s by length', async (_name, password, rule) => {
    expect(await check(password)).toMatch(rule);
  });

  it('should count length in code points after normalization', async () => {
    expect(await check('🔐🔑🔒🔓🛡🧷')).toMatch(/at least 8/); // 6 code points, 12 UTF-16 units
    expect(await check('🔐🔑🔒🔓🛡🧷🧲🧰')).toBeNull();
  });

  it('should refuse the existing password, also in another normalization form', async () => {
    const existing = 'Crème brûlée forever'.normalize('NFC');
    expect(await check(existing.normalize('NFD'), { existingPassword: existing })).toMatch(/differ from the existing/);
  });

  it('should honour a configured minimum length', async () => {
    expect(await findPasswordPolicyViolation('violet tugboat', 15)).toMatch(/at least 15/);
    expect(await findPasswordPolicyViolation('violet tugboats', 15)).toBeNull();
  });
});
