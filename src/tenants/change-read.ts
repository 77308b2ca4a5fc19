/** What a password change reads before it derives anything, in one round trip to D1. */
import type { Deps } from './deps';
import { tenantWithHistory } from '../db/history';
import { requireChangeable, type ChangeableTenant } from './stamp';

export interface ChangeRead {
  tenant: ChangeableTenant;
  /** The newest PASSWORD_HISTORY − 1 retired hashes, newest first. */
  history: string[];
}

/** The tenant and its history; throws NO_RECORDS_FOUND or INVALID_CONTACT_BOOK_DETAILS_INFO as loadChangeableTenant does. */
export async function readForChange(deps: Pick<Deps, 'db' | 'business' | 'settings'>, tenantId: string): Promise<ChangeRead> {
  const { tenant, history } = await tenantWithHistory(deps.db, deps.business, tenantId, deps.settings.passwordHistory - 1);
  return { tenant: requireChangeable(tenant), history };
}
