/** The concurrency stamp: issuing one, and checking the one a change presents. */
import { timingSafeEqualText } from '../auth/encoding';
import type { Tenant } from '../db/schema';
import { ApiError } from '../errors';
import type { Deps } from './deps';
import { findTenantById, liveConcurrencyStamp } from '../db/tenants';
import { type Database } from '../db/database';

export const newStamp = () => crypto.randomUUID().toUpperCase();

export type ChangeableTenant = Tenant & { passwordHash: string };

/** The tenant, if there is one and it can take a password change at all. */
export function requireChangeable(tenant: Tenant | undefined): ChangeableTenant {
  if (!tenant) throw new ApiError('NO_RECORDS_FOUND');
  if (!tenant.passwordHash || tenant.isDisabled) throw new ApiError('INVALID_CONTACT_BOOK_DETAILS_INFO');
  return { ...tenant, passwordHash: tenant.passwordHash };
}

/** The tenant of the business behind the session, if it can take a password change at all. */
export async function loadChangeableTenant(db: Database, business: string, tenantId: string): Promise<ChangeableTenant> {
  return requireChangeable(await findTenantById(db, business, tenantId));
}

/**
 * Returns the tenant's live stamp, renewing its lifetime, or a fresh one when none is live. Every
 * session asking gets the same stamp until a change consumes it, so no session can supersede the
 * stamp another one holds. One conditional write; the tenant is read only to explain a refusal.
 */
export async function issueStamp(deps: Pick<Deps, 'db' | 'business' | 'settings' | 'log'>, tenantId: string): Promise<string> {
  const now = Date.now();
  const tenant = { businessId: deps.business, id: tenantId };
  let stamp: string | null;
  try {
    stamp = await liveConcurrencyStamp(deps.db, tenant, { fresh: newStamp(), liveAfter: now - deps.settings.stampTtlMs, now });
  } catch (cause) {
    throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED', { cause });
  }
  if (stamp === null) {
    await loadChangeableTenant(deps.db, deps.business, tenantId);
    // Changeable now, though the write found it otherwise: it changed in between. Asking again will do.
    throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED');
  }
  deps.log('info', 'password.stamp_issued', { tenantId });
  return stamp;
}

/** Whether the stamp is the tenant's current one and unexpired; compared in constant time. */
export function isCurrentStamp(tenant: Tenant, stamp: string, stampsIssuedAfter: number): boolean {
  return (
    tenant.concurrencyStamp !== null &&
    timingSafeEqualText(tenant.concurrencyStamp, stamp) &&
    (tenant.concurrencyStampIssuedAt ?? 0) > stampsIssuedAfter
  );
}

/** The stamp must be the tenant's current one and unexpired. */
export function requireCurrentStamp(tenant: Tenant, stamp: string, stampsIssuedAfter: number): void {
  if (!isCurrentStamp(tenant, stamp, stampsIssuedAfter)) throw new ApiError('CHANGE_PASSWORD_FAILED');
}
