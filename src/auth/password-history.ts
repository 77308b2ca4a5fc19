import { MalformedPasswordHashError, verifyPassword } from './password';

/**
 * Whether `newPassword` matches one of the previous password hashes. Each check is a full PBKDF2
 * derivation with that hash's own salt and parameters, so this runs only after the existing
 * password was verified, and stops at the first match. A malformed history entry cannot be
 * matched and is skipped; a missing pepper still fails closed.
 */
export async function isRecentPassword(newPassword: string, previousHashes: string[], pepper?: string): Promise<boolean> {
  for (const stored of previousHashes) {
    try {
      if (await verifyPassword(newPassword, stored, pepper)) return true;
    } catch (error) {
      if (!(error instanceof MalformedPasswordHashError)) throw error;
    }
  }
  return false;
}
