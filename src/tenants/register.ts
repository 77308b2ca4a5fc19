import type { z } from '@hono/zod-openapi';
import { hashPassword, newPasswordSalt } from '../auth/password';
import { findPasswordPolicyViolation } from '../auth/password-policy';
import { ApiError, describeError } from '../errors';
import type { RegisterBody } from '../schemas';
import type { Deps } from './deps';
import { createTenant } from '../db/tenants';

/** Creates a tenant of the key's business with login credentials; returns the new tenant's id. */
export async function registerTenant(
  deps: Pick<Deps, 'db' | 'replicaDb' | 'business' | 'loginThrottleOf' | 'settings' | 'pepper' | 'log' | 'spendRegistration'>,
  registration: z.output<typeof RegisterBody>,
): Promise<string> {
  // Before any hashing or strength estimate: a refused registration costs nothing.
  await deps.spendRegistration();
  const violation = await findPasswordPolicyViolation(registration.password, deps.settings.passwordMinLength, {
    ...registration,
    business: deps.business,
  });
  if (violation) {
    throw new ApiError('INVALID_PARAM_PASSWORD', { message: `password ${violation}`, field: 'password' });
  }
  const passwordSalt = newPasswordSalt();
  const id = await createTenant(
    deps.db,
    {
      businessId: deps.business,
      userName: registration.userName,
      firstName: registration.firstName,
      lastName: registration.lastName,
      phoneNumber: registration.phoneNumber ?? null,
      passwordHash: await hashPassword(registration.password, deps.pepper, passwordSalt),
      passwordSalt,
    },
    Date.now(),
  );
  if (!id) throw new ApiError('USER_ALREADY_EXISTS', { field: 'userName' });
  deps.log('info', 'tenant.registered', { tenantId: id });
  if (deps.replicaDb) await noteTenant(deps, registration.userName, id);
  return id;
}

/**
 * With read replication on, tells the user name's login object of the new tenant, so that a login
 * before the replicas have the row reads the primary (tenants/login.ts) instead of taking the user
 * name for unknown. One more round trip, only with replication on; best-effort: without it such a
 * login answers as for an unknown user until the replica has the row.
 */
async function noteTenant(deps: Pick<Deps, 'loginThrottleOf' | 'log'>, userName: string, tenantId: string): Promise<void> {
  try {
    await deps.loginThrottleOf(userName).noteChange({ tenantId, passwordChangedAt: 0, changedByDevice: null });
  } catch (cause) {
    deps.log('error', 'tenant.register.note_failed', { tenantId, cause: describeError(cause) });
  }
}
