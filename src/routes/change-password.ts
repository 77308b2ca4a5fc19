import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { secured } from '../auth/secured';
import { depsFrom, type AppEnv } from '../context';
import { successEnvelope } from '../errors';
import { BODY_REJECTIONS, errorResponses, jsonContent, jsonRequest } from '../openapi';
import { EXAMPLE_STAMP, EXAMPLE_TENANT_ID, ChangePasswordBody, ConcurrencyStamp, envelopeOf, TenantId } from '../schemas';
import { changePassword } from '../tenants/change-password';
import { issueStamp } from '../tenants/stamp';
import { jsonBody, throwOnInvalid } from '../validate';

const stampRoute = createRoute({
  method: 'get',
  path: '/v1/tenant/profile/change-password/request',
  tags: ['Password change'],
  summary: 'Issue a concurrency stamp for a password change',
  description:
    'Returns a fresh single-use stamp (an upper-case GUID). Issuing one supersedes every earlier stamp; ' +
    'a stamp expires after STAMP_TTL_MINUTES (default 10).',
  ...secured('session'),
  responses: {
    200: jsonContent(envelopeOf(ConcurrencyStamp, 'ConcurrencyStampResponse', EXAMPLE_STAMP), 'A fresh stamp.'),
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
  tags: ['Password change'],
  summary: 'Change the password of the logged-in tenant',
  description:
    'Replaces the password if existingPassword matches and concurrencyStamp is the current stamp. ' +
    'The stamp is consumed; every other session of the tenant is revoked and the calling one stays valid. ' +
    'Of concurrent requests holding the same stamp, at most one succeeds.',
  ...secured('session', jsonBody()),
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
    const stamp = await issueStamp(depsFrom(c), c.get('session').tenantId);
    return c.json(successEnvelope(stamp), 200);
  })

  .openapi(changePasswordRoute, async (c) => {
    const tenantId = await changePassword(depsFrom(c), c.get('session'), c.req.valid('json'));
    return c.json(successEnvelope(tenantId), 200);
  });
