import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { takePresentedSession } from '../http/session';
import { secured, securedByWorkflow } from '../http/secured';
import { depsOf, type AppEnv } from '../http/context';
import { successEnvelope } from '../errors';
import { BODY_REJECTIONS, errorResponses, jsonContent, jsonRequest } from '../http/openapi';
import { readChangeAhead } from '../http/read-ahead';
import { EXAMPLE_STAMP, EXAMPLE_TENANT_ID, ChangePasswordBody, ConcurrencyStamp, envelopeOf, TenantId } from '../schemas';
import { changePassword } from '../tenants/change-password';
import { issueStamp } from '../tenants/stamp';
import { jsonBody, throwOnInvalid } from '../http/validate';

const stampRoute = createRoute({
  method: 'get',
  path: '/v1/tenant/profile/change-password/request',
  operationId: 'getConcurrencyStamp',
  tags: ['Password change'],
  summary: "Get the tenant's live concurrency stamp for a password change",
  description:
    "Returns the tenant's live stamp (an upper-case GUID), or a fresh one when none is live. Every session of " +
    'the tenant that asks before the stamp is used gets the same stamp, and asking renews its lifetime of ' +
    'STAMP_TTL_MINUTES (default 10), so no session can invalidate the stamp another one holds. A successful ' +
    'change consumes it; the next request then gets a new one.',
  ...secured('session'),
  responses: {
    200: jsonContent(envelopeOf(ConcurrencyStamp, 'ConcurrencyStampResponse', EXAMPLE_STAMP), 'The live stamp, renewed.'),
    ...errorResponses([
      'UNAUTHORIZED',
      'NO_RECORDS_FOUND',
      'INVALID_CONTACT_BOOK_DETAILS_INFO',
      'CONCURRENCY_STAMP_CREATE_FAILED',
      'SOMETHING_WENT_WRONG',
    ]),
  },
});

const changePasswordRoute = createRoute({
  method: 'put',
  path: '/v1/tenant/profile/change-password',
  operationId: 'changePassword',
  tags: ['Password change'],
  summary: 'Change the password of the logged-in tenant',
  description:
    'Replaces the password if existingPassword matches and concurrencyStamp is the current stamp. ' +
    'The stamp is consumed; every other session of the tenant is revoked and the calling one stays valid. ' +
    'Of concurrent requests holding the same stamp, at most one succeeds. Wrong existing passwords are counted ' +
    'per session over its whole life: the request that finds the session\'s MAX_FAILED_ATTEMPTS (default 5) ' +
    'spent answers 429 with Retry-After and revokes the session, so every later request with its token answers ' +
    '401. Nothing one session sends makes another session\'s correct change answer anything but 200.',
  ...securedByWorkflow(readChangeAhead(), jsonBody()),
  request: jsonRequest(ChangePasswordBody),
  responses: {
    200: jsonContent(envelopeOf(TenantId, 'ChangePasswordResponse', EXAMPLE_TENANT_ID), 'Changed; data is the tenant id.'),
    ...errorResponses([
      'INVALID_PARAM_EXISTING_PASSWORD',
      'INVALID_PARAM_NEW_PASSWORD',
      'INVALID_PARAM_CONCURRENCY_STAMP',
      'MISMATCH_EXISTING_PASSWORD',
      'FAILED',
      'UNAUTHORIZED',
      'NO_RECORDS_FOUND',
      'INVALID_CONTACT_BOOK_DETAILS_INFO',
      'CHANGE_PASSWORD_FAILED',
      'TOO_MANY_ATTEMPTS',
      'SOMETHING_WENT_WRONG',
    ]),
    ...BODY_REJECTIONS,
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const changePasswordRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(stampRoute, async (c) => {
    const stamp = await issueStamp(depsOf(c), c.get('session').tenantId);
    return c.json(successEnvelope(stamp), 200);
  })

  .openapi(changePasswordRoute, async (c) => {
    const tenantId = await changePassword(depsOf(c), takePresentedSession(c), c.req.valid('json'), c.get('changeRead'));
    return c.json(successEnvelope(tenantId), 200);
  });
