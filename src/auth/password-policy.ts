import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_STRENGTH_SCORE } from '../config';
import { normalizePassword } from './password';
import { estimateStrength } from './password-strength';

/** What the policy knows about the tenant, to reject passwords built from their own details. */
export interface PasswordContext {
  userName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** The business the tenant belongs to, when known. */
  business?: string | null;
  /** The password being replaced, as the client supplied it. */
  existingPassword?: string;
}

const SERVICE_WORDS = ['storegister'];
/** Personal words shorter than this are only rejected as the whole password, not as a part. */
const MIN_CONTAINED_WORD_LENGTH = 4;
const NO_WARNING_ADVICE = 'A passphrase of several unrelated words is easy to remember and hard to guess.';

const lettersAndDigits = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
/** "John1987!" → "john": what is left once the decoration people add around a word is stripped. */
const core = (text: string) => lettersAndDigits(text).replace(/^\p{N}+|\p{N}+$/gu, '');

const present = (words: (string | null | undefined)[]) =>
  [...new Set(words.filter((word): word is string => Boolean(word)).map((word) => word.toLowerCase()))];

/** The email, its local part and the names: no password may contain them. */
function ownWords(context: PasswordContext): string[] {
  const userName = context.userName ?? '';
  const localPart = userName.includes('@') ? userName.slice(0, userName.lastIndexOf('@')) : userName;
  return present([userName, localPart, context.firstName, context.lastName, ...SERVICE_WORDS]);
}

const pieces = (text: string | null | undefined) => (text ?? '').split(/[^\p{L}\p{N}]+/u);

/** What zxcvbn is told to guess first: the tenant's own words, the business, and the pieces of both. */
function guessableWords(context: PasswordContext, own: string[]): string[] {
  const localPart = (context.userName ?? '').split('@')[0];
  return present([...own, ...pieces(localPart), context.business, ...pieces(context.business)]);
}

/** Whole personal words inside the password: checked apart from zxcvbn, which sees only a prefix. */
function isBuiltFromOwnWords(password: string, own: string[]): boolean {
  const whole = lettersAndDigits(password);
  const stripped = core(password);
  return own
    .map(lettersAndDigits)
    .filter((word) => word.length > 0)
    .some((word) => word === whole || word === stripped || (word.length >= MIN_CONTAINED_WORD_LENGTH && whole.includes(word)));
}

/** zxcvbn's warning and suggestions: fixed sentences about the kind of weakness, never the password. */
function advice(feedback: { warning: string | null; suggestions: string[] }): string {
  return [feedback.warning, ...feedback.suggestions, NO_WARNING_ADVICE].filter(Boolean).join(' ');
}

/**
 * Returns the first rule the password breaks, as a message for the client, or null when it passes.
 * After NIST SP 800-63B: length in Unicode code points after normalization, no composition rules,
 * and a check against what attackers try first (zxcvbn: common passwords, dictionary words and
 * names with decorations, repeats, sequences, keyboard patterns, dates, the tenant's own details).
 */
export async function findPasswordPolicyViolation(
  password: string,
  minLength: number,
  context: PasswordContext = {},
): Promise<string | null> {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < minLength) return `must be at least ${minLength} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (context.existingPassword !== undefined && normalizePassword(context.existingPassword) === normalized) {
    return 'must differ from the existing password';
  }
  const own = ownWords(context);
  if (isBuiltFromOwnWords(normalized, own)) {
    return 'must not contain your user name, email, first or last name';
  }
  const strength = await estimateStrength(normalized, guessableWords(context, own));
  if (strength.score < PASSWORD_MIN_STRENGTH_SCORE) {
    return `is too easy to guess (common, repetitive or sequential, or a dictionary word with decorations). ${advice(strength.feedback)}`;
  }
  return null;
}
