/** What a password change reads before it derives anything, in one round trip to D1. */
import type { Deps } from './deps';
import type { Tenant } from '../db/schema';
import { tenantWithHistory } from '../db/history';
import { isCurrentStamp, requireChangeable, requireCurrentStamp, type ChangeableTenant } from './stamp';

export interface ChangeRead {
  tenant: ChangeableTenant;
  /** The newest PASSWORD_HISTORY − 1 retired hashes, newest first. */
  history: string[];
}

/** The tenant (if any) and its history, as one copy of D1 had them. */
export interface TenantRead {
  tenant: Tenant | undefined;
  history: string[];
}

type ReadDeps = Pick<Deps, 'db' | 'replicaDb' | 'business' | 'settings'>;

/** The tenant and its history, read at the nearest read replica when there is one, else at the primary. */
export function readForChange(deps: ReadDeps, tenantId: string): Promise<TenantRead> {
  return tenantWithHistory(deps.replicaDb ?? deps.db, deps.business, tenantId, deps.settings.passwordHistory - 1);
}

/**
 * The tenant a change acts on, with its history: `read` if it holds the presented stamp, live, on a
 * changeable tenant; otherwise the primary's answer, refused as the primary's data says
 * (NO_RECORDS_FOUND, INVALID_CONTACT_BOOK_DETAILS_INFO, CHANGE_PASSWORD_FAILED).
 *
 * A replica may lag behind the primary, yet it can neither refuse the right stamp and password nor
 * let a stale one through. It refuses nothing: every refusal is read again at the primary. And a
 * copy of the tenant's row holding the presented stamp holds every change committed before that
 * stamp was issued (a change consumes the stamp it presents), so its hash and history are those the
 * stamp was issued under; if a change consumed the stamp since, the commit's conditional UPDATE on
 * the primary, which requires the same stamp, matches nothing.
 */
export async function confirmedForChange(
  deps: ReadDeps,
  tenantId: string,
  read: Promise<TenantRead>,
  stamp: string,
  stampsIssuedAfter: number,
): Promise<ChangeRead> {
  const found = await read;
  const usable = (tenant: Tenant | undefined) => tenant?.passwordHash && !tenant.isDisabled && isCurrentStamp(tenant, stamp, stampsIssuedAfter);
  if (deps.replicaDb && !usable(found.tenant)) {
    const primary = await tenantWithHistory(deps.db, deps.business, tenantId, deps.settings.passwordHistory - 1);
    return checked(primary, stamp, stampsIssuedAfter);
  }
  return checked(found, stamp, stampsIssuedAfter);
}

function checked({ tenant, history }: TenantRead, stamp: string, stampsIssuedAfter: number): ChangeRead {
  const changeable = requireChangeable(tenant);
  requireCurrentStamp(changeable, stamp, stampsIssuedAfter);
  return { tenant: changeable, history };
}
