/** The concurrency stamp: issuing one, and checking the one a change presents. */
import { timingSafeEqualText } from '../auth/encoding';
import type { Tenant } from '../db/schema';
import { ApiError } from '../errors';
import type { Deps } from './deps';
import { findTenantById, storeConcurrencyStamp, type Database } from './repository';

export const newStamp = () => crypto.randomUUID().toUpperCase();

/** The tenant behind the session, if it can take a password change at all. */
export async function loadChangeableTenant(db: Database, tenantId: string): Promise<Tenant & { passwordHash: string }> {
  const tenant = await findTenantById(db, tenantId);
  if (!tenant) throw new ApiError('NO_RECORDS_FOUND');
  if (!tenant.passwordHash || tenant.isDisabled) throw new ApiError('INVALID_CONTACT_BOOK_DETAILS_INFO');
  return { ...tenant, passwordHash: tenant.passwordHash };
}

/** Stores a fresh stamp for the tenant, superseding any earlier one, and returns it. */
export async function issueStamp(deps: Pick<Deps, 'db' | 'log'>, tenantId: string): Promise<string> {
  await loadChangeableTenant(deps.db, tenantId);
  const stamp = newStamp();
  let stored: boolean;
  try {
    stored = await storeConcurrencyStamp(deps.db, tenantId, stamp, Date.now());
  } catch (cause) {
    throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED', { cause });
  }
  if (!stored) throw new ApiError('CONCURRENCY_STAMP_CREATE_FAILED');
  deps.log('info', 'password.stamp_issued', { tenantId });
  return stamp;
}

/** The stamp must be the tenant's current one and unexpired; compared in constant time. */
export function requireCurrentStamp(tenant: Tenant, stamp: string, stampsIssuedAfter: number): void {
  const current =
    tenant.concurrencyStamp !== null &&
    timingSafeEqualText(tenant.concurrencyStamp, stamp) &&
    (tenant.concurrencyStampIssuedAt ?? 0) > stampsIssuedAfter;
  if (!current) throw new ApiError('CHANGE_PASSWORD_FAILED');
}
