import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { secured } from '../http/secured';
import { depsOf, type AppEnv } from '../http/context';
import { ApiError, successEnvelope } from '../errors';
import { errorResponses, jsonContent } from '../http/openapi';
import {
  AdminTenant,
  EXAMPLE_ADMIN_TENANT,
  EXAMPLE_TENANT_ID,
  envelopeOf,
  SignOutResult,
  TenantId,
  TenantIdParam,
  UserNameQuery,
} from '../schemas';
import { disable, enable, erase, findTenant, signOut, unlock } from '../tenants/admin-tenants';
import { throwOnInvalid } from '../http/validate';

const TAG = 'Tenant administration';

/** A malformed tenant id in the path is the contract's INVALID_PARAM_CONTACT_BOOK_ID, not a body field's code. */
function tenantIdHook(result: { success: true } | { success: false; error: z.ZodError }, c: Context): undefined {
  if (!result.success && result.error.issues.some((issue) => issue.path[0] === 'tenantId')) {
    throw new ApiError('INVALID_PARAM_CONTACT_BOOK_ID', { message: 'tenantId must be a GUID.' });
  }
  throwOnInvalid(result, c);
  return undefined;
}

const BY_ID_FAILURES = ['INVALID_PARAM_CONTACT_BOOK_ID', 'UNAUTHORIZED', 'KEY_NOT_ALLOWED', 'NO_RECORDS_FOUND', 'SOMETHING_WENT_WRONG'] as const;

const NOT_FOUND_NOTE =
  "A tenant of another business answers 404 NO_RECORDS_FOUND exactly as an id that does not exist; a publishable key gets 403 KEY_NOT_ALLOWED before anything is read.";

/** A POST /v1/admin/tenants/{tenantId}/<action> route answering the tenant id. */
function tenantAction(action: 'disable' | 'enable' | 'unlock', operationId: string, summary: string, description: string) {
  return createRoute({
    method: 'post',
    path: `/v1/admin/tenants/{tenantId}/${action}`,
    operationId,
    tags: [TAG],
    summary,
    description: `${description} ${NOT_FOUND_NOTE}`,
    ...secured('server'),
    request: { params: TenantIdParam },
    responses: {
      200: jsonContent(envelopeOf(TenantId, `${operationId[0].toUpperCase()}${operationId.slice(1)}Response`, EXAMPLE_TENANT_ID), 'Done; data is the tenant id.'),
      ...errorResponses(BY_ID_FAILURES),
    },
  });
}

const findRoute = createRoute({
  method: 'get',
  path: '/v1/admin/tenants',
  operationId: 'findTenant',
  tags: [TAG],
  summary: 'Look up a tenant of the business by user name',
  description:
    'The tenant of the key\'s business with this user name (trimmed, compared case-insensitively), without any ' +
    `secret. passwordChangedAt is null when the password was never changed or reset. ${NOT_FOUND_NOTE}`,
  ...secured('server'),
  request: { query: UserNameQuery },
  responses: {
    200: jsonContent(envelopeOf(AdminTenant, 'FindTenantResponse', EXAMPLE_ADMIN_TENANT), 'The tenant.'),
    ...errorResponses(['INVALID_PARAM_USER_NAME', 'UNAUTHORIZED', 'KEY_NOT_ALLOWED', 'NO_RECORDS_FOUND', 'SOMETHING_WENT_WRONG']),
  },
});

const disableRoute = tenantAction(
  'disable',
  'disableTenant',
  'Disable a tenant: end its sessions and refuse its logins',
  'Every session of the tenant is refused at once (401 UNAUTHORIZED, the message saying the account was disabled), ' +
    'a login in flight gets no session, and later logins answer INVALID_CREDENTIALS exactly as for an unknown user. ' +
    'Records tenant.disabled. Disabling a disabled tenant answers 200 again and records no second event. ' +
    'A 500 may leave the sessions ended before the tenant is marked disabled: repeat the request.',
);

const enableRoute = tenantAction(
  'enable',
  'enableTenant',
  'Enable a disabled tenant again',
  'The tenant can log in again; the sessions the disable ended stay ended. Enabling an enabled tenant answers 200.',
);

const unlockRoute = tenantAction(
  'unlock',
  'unlockTenant',
  "End every lockout of the tenant's user name",
  "Forgets every failed-login counter of the user name in the key's business: the clients without a device token, " +
    "each known device, and the devices from before the last password change. A session's own budget of wrong " +
    'existing passwords is kept, and a session revoked for guessing stays revoked.',
);

const signOutRoute = createRoute({
  method: 'post',
  path: '/v1/admin/tenants/{tenantId}/sign-out',
  operationId: 'signOutTenant',
  tags: [TAG],
  summary: 'Revoke every session of a tenant',
  description: `Every session of the tenant answers 401 UNAUTHORIZED from now on; the tenant may log in again. ${NOT_FOUND_NOTE}`,
  ...secured('server'),
  request: { params: TenantIdParam },
  responses: {
    200: jsonContent(envelopeOf(SignOutResult, 'SignOutTenantResponse', { revoked: 2 }), 'Signed out; data.revoked is how many sessions were live.'),
    ...errorResponses(BY_ID_FAILURES),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/admin/tenants/{tenantId}',
  operationId: 'deleteTenant',
  tags: [TAG],
  summary: 'Erase a tenant',
  description:
    'Erases the tenant: its row, password history, sessions, device tokens, failed-login counters and its events ' +
    'not yet delivered; audit rows stay (they hold no personal data). Records tenant.deleted. The user name can ' +
    'register again, as a new tenant with a new id; nothing of the old one (tokens, device tokens) works for it. ' +
    `A 500 may leave the tenant unable to log in but not yet deleted: repeat the request. ${NOT_FOUND_NOTE}`,
  ...secured('server'),
  request: { params: TenantIdParam },
  responses: {
    200: jsonContent(envelopeOf(TenantId, 'DeleteTenantResponse', EXAMPLE_TENANT_ID), 'Erased; data is the tenant id.'),
    ...errorResponses(BY_ID_FAILURES),
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const adminTenantRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(findRoute, async (c) => c.json(successEnvelope(await findTenant(depsOf(c), c.req.valid('query').userName)), 200))
  .openapi(disableRoute, async (c) => c.json(successEnvelope(await disable(depsOf(c), c.req.valid('param').tenantId)), 200), tenantIdHook)
  .openapi(enableRoute, async (c) => c.json(successEnvelope(await enable(depsOf(c), c.req.valid('param').tenantId)), 200), tenantIdHook)
  .openapi(signOutRoute, async (c) => c.json(successEnvelope(await signOut(depsOf(c), c.req.valid('param').tenantId)), 200), tenantIdHook)
  .openapi(unlockRoute, async (c) => c.json(successEnvelope(await unlock(depsOf(c), c.req.valid('param').tenantId)), 200), tenantIdHook)
  .openapi(deleteRoute, async (c) => c.json(successEnvelope(await erase(depsOf(c), c.req.valid('param').tenantId)), 200), tenantIdHook);
