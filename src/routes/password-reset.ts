import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { loginRateLimit, loginRateLimitPolicy } from '../auth/login-spraying';
import { settingsFrom } from '../config';
import { depsOf, type AppEnv } from '../http/context';
import { successEnvelope } from '../errors';
import { BODY_REJECTIONS, errorResponses, jsonContent, jsonRequest, withHeaders } from '../http/openapi';
import { secured } from '../http/secured';
import { jsonBody, throwOnInvalid } from '../http/validate';
import { EXAMPLE_RESET_TOKEN, EXAMPLE_TENANT_ID, envelopeOf, PasswordResetBody, ResetTokenIssued, TenantId } from '../schemas';
import { completePasswordReset, issuePasswordReset } from '../tenants/password-reset';
import { CLIENT_ADDRESS_PARAMETER, deviceTokenParameter, RATE_LIMIT_HEADERS } from './auth';

const TAG = 'Password reset';

const TenantIdParam = z.object({
  tenantId: z.string().openapi({
    param: { name: 'tenantId', in: 'path' },
    format: 'uuid',
    example: EXAMPLE_TENANT_ID,
    description: 'The id of a tenant of the key\'s business; any other id (of another business, unknown or malformed) answers 404.',
  }),
});

const issueRoute = createRoute({
  method: 'post',
  path: '/v1/admin/tenants/{tenantId}/password-reset',
  operationId: 'issuePasswordReset',
  tags: ['Tenant administration', TAG],
  summary: 'Issue a single-use password-reset token for a tenant (server keys only)',
  description:
    'Returns a single-use token, valid for RESET_TOKEN_MINUTES (default 30), that the business delivers to the tenant ' +
    'by its own channel: the service sends nothing. Only the newest token of a tenant is valid: issuing one supersedes ' +
    'every older one, and so does any password change or reset after it. It is stored only as a hash. A publishable ' +
    'key answers 403 KEY_NOT_ALLOWED; a tenant of another business answers 404 NO_RECORDS_FOUND, exactly like an id ' +
    'that does not exist; a tenant without login credentials, or disabled, answers 409 INVALID_CONTACT_BOOK_DETAILS_INFO.',
  ...secured('server'),
  request: { params: TenantIdParam },
  responses: {
    201: jsonContent(
      envelopeOf(ResetTokenIssued, 'ResetTokenIssuedResponse', { resetToken: EXAMPLE_RESET_TOKEN, expiresAt: '2026-11-29T01:51:00.211Z' }),
      'Issued; deliver data.resetToken to the tenant.',
    ),
    ...errorResponses(['UNAUTHORIZED', 'KEY_NOT_ALLOWED', 'NO_RECORDS_FOUND', 'INVALID_CONTACT_BOOK_DETAILS_INFO', 'SOMETHING_WENT_WRONG']),
  },
});

const completeRoute = createRoute({
  method: 'post',
  path: '/v1/password-reset',
  operationId: 'completePasswordReset',
  tags: [TAG],
  summary: 'Set a new password with a reset token the business issued',
  description:
    'Sets the password of the tenant the token was issued for, under the password policy and the history rule ' +
    '(INVALID_PARAM_NEW_PASSWORD, which leaves the token usable: try again with a better password). On success the ' +
    'token is consumed, every session of the tenant is revoked (none is kept), and every device token of the tenant ' +
    'counts as issued before a change: their wrong passwords share one budget until each logs in with the new one. ' +
    'A token that is unknown, used, expired, superseded or of another business answers 409 RESET_TOKEN_INVALID, one ' +
    'answer whatever the reason. Such failures count against the client exactly like failed logins (the same budget ' +
    'per key and client address, LOGIN_FAILURES_PER_MINUTE): once it is spent, 429 TOO_MANY_ATTEMPTS with Retry-After. ' +
    'Every judged answer carries RateLimit-Policy and RateLimit. Of concurrent completions with one token, exactly ' +
    'one succeeds. Any X-API-Key of the business that issued the token works. Sent from a known device of the ' +
    'tenant (X-Device-Token), that device keeps its own budget, as the device whose session made a change does.',
  ...secured('apiKey', jsonBody()),
  parameters: [
    CLIENT_ADDRESS_PARAMETER,
    deviceTokenParameter(
      'The deviceToken a login of this tenant answered on the client completing the reset. That device is then ' +
        'not counted with the device tokens issued before the reset, so nothing guessed from those can lock it out',
    ),
  ],
  request: jsonRequest(PasswordResetBody),
  responses: withHeaders(
    {
      200: jsonContent(envelopeOf(TenantId, 'PasswordResetResponse', EXAMPLE_TENANT_ID), 'The password is set; data is the tenant id.'),
      ...errorResponses([
        'INVALID_PARAM_RESET_TOKEN',
        'INVALID_PARAM_NEW_PASSWORD',
        'FAILED',
        'UNAUTHORIZED',
        'RESET_TOKEN_INVALID',
        'TOO_MANY_ATTEMPTS',
        'SOMETHING_WENT_WRONG',
      ]),
      ...BODY_REJECTIONS,
    },
    // Failures come also before a completion is judged (a missing key, a malformed body), without the policy.
    {
      200: RATE_LIMIT_HEADERS,
      400: RATE_LIMIT_HEADERS.partial(),
      409: RATE_LIMIT_HEADERS.partial(),
      429: RATE_LIMIT_HEADERS.partial(),
      500: RATE_LIMIT_HEADERS.partial(),
    },
  ),
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const passwordResetRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(issueRoute, async (c) => {
    const issued = await issuePasswordReset(depsOf(c), c.req.valid('param').tenantId);
    return c.json(successEnvelope(issued), 201);
  })

  .openapi(completeRoute, async (c) => {
    c.header('RateLimit-Policy', loginRateLimitPolicy(settingsFrom(c.env).loginFailuresPerMinute));
    const completion = { ...c.req.valid('json'), deviceToken: c.req.header('X-Device-Token') };
    const tenantId = await completePasswordReset(depsOf(c), completion, (left) => c.header('RateLimit', loginRateLimit(left)));
    return c.json(successEnvelope(tenantId), 200);
  });
