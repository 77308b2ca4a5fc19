import { API_KEY_SECRET_BYTES, API_KEY_TEXT_PREFIX } from '../../src/auth/api-key-format';
import { randomBytes, toBase64Url, toHex } from '../../src/auth/encoding';
import { rememberSecret } from './secret-watch';

/** An application key in the format the operator CLI prints. */
export const apiKeyText = () => `${API_KEY_TEXT_PREFIX}${toBase64Url(randomBytes(API_KEY_SECRET_BYTES))}`;

/** Unique values, so that no two tests share data. */
export const uniqueEmail = () => `tenant-${crypto.randomUUID()}@example.com`;
export const unknownUserName = () => `nobody-${crypto.randomUUID()}@example.com`;
export const unknownApiKey = apiKeyText;
export const strongPassword = () => rememberSecret(`Pw-${crypto.randomUUID()}`);
export const freshPassphrase = () => rememberSecret(`a fresh passphrase ${crypto.randomUUID()}`);
export const wrongPassword = () => `wrong-${crypto.randomUUID()}`;
export const randomStamp = () => crypto.randomUUID().toUpperCase();
/** A password-reset token of the right shape (for a random tenant) that nobody issued. */
export const madeUpResetToken = (tenantId = randomStamp()) =>
  `${tenantId}.${toHex(randomBytes(16))}.${toBase64Url(randomBytes(32))}.${toBase64Url(randomBytes(16))}`;

export type RegisterBody = {
  userName: unknown;
  password: unknown;
  firstName: unknown;
  lastName: unknown;
  phoneNumber?: unknown;
};

/** A register body that passes every rule; a test overrides what it is about (undefined leaves a field out). */
export function registerBody(overrides: Partial<RegisterBody> = {}): RegisterBody {
  return { userName: uniqueEmail(), password: strongPassword(), firstName: 'Jane', lastName: 'Doe', ...overrides };
}

export type LoginBody = {
  userName: unknown;
  password: unknown;
};

export const loginBody = (credentials: { userName: string; password: string }, password = credentials.password): LoginBody => ({
  userName: credentials.userName,
  password,
});

export type ChangeBody = {
  existingPassword?: unknown;
  newPassword?: unknown;
  concurrencyStamp?: unknown;
};

/** A change body that passes validation: the existing password, a fresh new one, and `stamp`. */
export function changeBody(existingPassword: string, stamp: string, overrides: ChangeBody = {}): ChangeBody {
  return { existingPassword, newPassword: freshPassphrase(), concurrencyStamp: stamp, ...overrides };
}
