/**
 * Tenant administration by the business, through a server key: look a tenant up, disable, enable,
 * sign out, unlock, delete. Every step acts only on a tenant of the key's business; any other id
 * is NO_RECORDS_FOUND, as one that does not exist.
 *
 * Order of the stores: the Durable Object step first, then D1. Each step is idempotent, so a request
 * that failed midway (500) is repeated whole, and every state in between refuses the tenant rather
 * than let it in: a disable whose D1 write failed has closed the sessions already (and D1 still
 * knows the tenant, so the retry finds it); a delete whose D1 batch failed has erased the objects,
 * leaving a tenant that cannot open a session until the retry deletes it. The other order would
 * leave sessions open after a committed D1 write, and a deleted tenant's objects unreachable by a
 * retry (which would no longer find the tenant).
 */
import type { AdminTenant } from '../schemas';
import type { z } from '@hono/zod-openapi';
import type { Tenant } from '../db/schema';
import { findTenantById, findTenantByUserName } from '../db/tenants';
import { deleteTenant, disableTenant, enableTenant } from '../db/tenant-admin';
import { ApiError } from '../errors';
import { tenantDeleted, tenantDisabled } from '../security-events';
import type { Deps } from './deps';

type AdminDeps = Pick<Deps, 'db' | 'business' | 'sessionsOf' | 'loginThrottleOf' | 'requestId' | 'log' | 'sendEvent'>;

const notFound = () => new ApiError('NO_RECORDS_FOUND', { message: "No tenant with this id or user name in the key's business." });

/** A Durable Object step: it being unreachable is a server fault, and the request may be repeated. */
async function objectStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (cause) {
    throw new ApiError('SOMETHING_WENT_WRONG', { cause });
  }
}

async function requireTenant(deps: AdminDeps, tenantId: string): Promise<Tenant> {
  const tenant = await findTenantById(deps.db, deps.business, tenantId);
  if (!tenant) throw notFound();
  return tenant;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

/** The tenant of the business with this user name, without anything secret. */
export async function findTenant(deps: AdminDeps, userName: string): Promise<z.output<typeof AdminTenant>> {
  const tenant = await findTenantByUserName(deps.db, deps.business, userName);
  if (!tenant) throw notFound();
  return {
    id: tenant.id,
    userName: tenant.userName,
    firstName: tenant.firstName,
    lastName: tenant.lastName,
    phoneNumber: tenant.phoneNumber,
    disabled: tenant.isDisabled,
    createdAt: iso(tenant.createdAt)!,
    passwordChangedAt: iso(tenant.passwordChangedAt),
  };
}

/**
 * Ends every session of the tenant and refuses new ones (also to a login already past its D1 read),
 * then marks it disabled in D1 with its `tenant.disabled` event in the same batch. A disabled
 * tenant answers 200 again, with no second event.
 */
export async function disable(deps: AdminDeps, tenantId: string): Promise<string> {
  await requireTenant(deps, tenantId);
  const revoked = await objectStep(() => deps.sessionsOf(tenantId).closeForDisable());
  const event = tenantDisabled({ businessId: deps.business, tenantId, requestId: deps.requestId, at: Date.now() });
  const written = await disableTenant(deps.db, deps.business, tenantId, event);
  if (!written.found) throw notFound();
  if (written.eventRecorded) deps.sendEvent(event);
  deps.log('info', 'admin.tenant.disabled', { tenantId, revoked, changed: written.eventRecorded });
  return tenantId;
}

/** Lets the tenant open sessions again, then enables it in D1. Sessions the disable ended stay ended. */
export async function enable(deps: AdminDeps, tenantId: string): Promise<string> {
  await requireTenant(deps, tenantId);
  await objectStep(() => deps.sessionsOf(tenantId).reopenAfterEnable());
  if (!(await enableTenant(deps.db, deps.business, tenantId))) throw notFound();
  deps.log('info', 'admin.tenant.enabled', { tenantId });
  return tenantId;
}

/** Revokes every session of the tenant; returns how many were live. */
export async function signOut(deps: AdminDeps, tenantId: string): Promise<{ revoked: number }> {
  await requireTenant(deps, tenantId);
  const revoked = await objectStep(() => deps.sessionsOf(tenantId).revokeAllSessions());
  deps.log('info', 'admin.tenant.signed_out', { tenantId, revoked });
  return { revoked };
}

/**
 * Ends every lockout of the tenant's user name: each of its failed-login counters. A session's own
 * counter of wrong existing passwords stays: it bounds what a stolen session can guess, and a session
 * revoked for guessing stays revoked.
 */
export async function unlock(deps: AdminDeps, tenantId: string): Promise<string> {
  const tenant = await requireTenant(deps, tenantId);
  await objectStep(() => deps.loginThrottleOf(tenant.userName).unlockLogins());
  deps.log('info', 'admin.tenant.unlocked', { tenantId });
  return tenantId;
}

/**
 * Erases the tenant: its object (sessions, session counters, claims, events not sent) and its user
 * name's login object (device tokens, counters), then, in one D1 batch, its queued events, password
 * history and row, recording `tenant.deleted` and an audit row. The user name can register again.
 */
export async function erase(deps: AdminDeps, tenantId: string): Promise<string> {
  const tenant = await requireTenant(deps, tenantId);
  await objectStep(() =>
    Promise.all([deps.sessionsOf(tenantId).erase('tenant'), deps.loginThrottleOf(tenant.userName).erase('login')]),
  );
  const now = Date.now();
  const event = tenantDeleted({ businessId: deps.business, tenantId, requestId: deps.requestId, at: now });
  const written = await deleteTenant(deps.db, deps.business, tenantId, { event, requestId: deps.requestId, now });
  if (!written.found) throw notFound();
  if (written.eventRecorded) deps.sendEvent(event);
  deps.log('info', 'admin.tenant.deleted', { tenantId });
  return tenantId;
}
