import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH } from '../config';
import { normalizePassword } from './password';

/** What the policy knows about the tenant, to reject passwords built from their own details. */
export interface PasswordContext {
  userName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** The password being replaced, as the client supplied it. */
  existingPassword?: string;
}

const SERVICE_WORDS = ['storegister'];
/** Personal words shorter than this are only rejected as the whole password, not as a part. */
const MIN_CONTAINED_WORD_LENGTH = 4;

let commonPasswords: Set<string> | undefined;

function isCommon(password: string): boolean {
  // Built on first use, not at start-up: decompressing the list costs a few milliseconds.
  commonPasswords ??= new Set(dictionary['passwords-common']);
  return commonPasswords.has(password.toLowerCase());
}

const lettersAndDigits = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
/** "John1987!" → "john": what is left once the decoration people add around a word is stripped. */
const core = (text: string) => lettersAndDigits(text).replace(/^\p{N}+|\p{N}+$/gu, '');

function personalWords(context: PasswordContext): string[] {
  const userName = context.userName ?? '';
  const localPart = userName.includes('@') ? userName.slice(0, userName.lastIndexOf('@')) : userName;
  return [userName, localPart, context.firstName ?? '', context.lastName ?? '', ...SERVICE_WORDS]
    .map(lettersAndDigits)
    .filter((word) => word.length > 0);
}

function isBuiltFromPersonalWords(password: string, context: PasswordContext): boolean {
  const whole = lettersAndDigits(password);
  const stripped = core(password);
  return personalWords(context).some(
    (word) =>
      word === whole ||
      word === stripped ||
      (word.length >= MIN_CONTAINED_WORD_LENGTH && whole.includes(word)),
  );
}

/**
 * Returns the first rule the password breaks, as a message for the client, or null when it passes.
 * Length is counted in Unicode code points after normalization; no composition rules (NIST SP 800-63B).
 */
export function findPasswordPolicyViolation(
  password: string,
  minLength: number,
  context: PasswordContext = {},
): string | null {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < minLength) return `must be at least ${minLength} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (context.existingPassword !== undefined && normalizePassword(context.existingPassword) === normalized) {
    return 'must differ from the existing password';
  }
  if (isCommon(normalized)) return 'is too common; choose a less predictable password';
  if (isBuiltFromPersonalWords(normalized, context)) {
    return 'must not contain your user name, email, first or last name';
  }
  return null;
}
