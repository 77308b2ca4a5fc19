import { PBKDF2_MAX_ITERATIONS, PBKDF2_MIN_ACCEPTED_ITERATIONS, type Peppers } from '../config';
import { MalformedPasswordHashError, parseHash, pepperId } from './password';

/**
 * Why a password hash brought in by an import could never verify a login here, or null when it can:
 * the checks `verifyPassword` makes before deriving (scheme, PRF, iterations within what Cloudflare
 * derives, salt and key lengths), and for a peppered hash of this service's own format, a pepper it
 * names among those configured. No derivation: an import costs no PBKDF2 at all. The reason never
 * quotes the hash.
 */
export async function importableHashRefusal(stored: string, peppers: Peppers): Promise<string | null> {
  let parsed;
  try {
    parsed = parseHash(stored);
  } catch (error) {
    if (!(error instanceof MalformedPasswordHashError)) throw error;
    const reason = error.message.replace('stored password hash rejected: ', '');
    return reason === 'iterations out of range'
      ? `asks for an iteration count outside ${PBKDF2_MIN_ACCEPTED_ITERATIONS} to ${PBKDF2_MAX_ITERATIONS} (the most Cloudflare derives): it could never verify a login`
      : `is neither an ASP.NET Core Identity V3 hash nor one of this service's own (${reason})`;
  }
  if (!parsed.peppered) return null;
  const configured = [peppers.current, peppers.previous].filter((pepper): pepper is string => Boolean(pepper));
  if (configured.length === 0) return 'needs a pepper and none is configured';
  if (parsed.pepperId === null) return null;
  const ids = await Promise.all(configured.map(pepperId));
  return ids.includes(parsed.pepperId) ? null : 'was made with a pepper this deployment does not have';
}
