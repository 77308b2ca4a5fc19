import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { loginRateLimitPolicy } from '../auth/login-spraying';
import { secured } from '../http/secured';
import { settingsFrom } from '../config';
import { depsOf, type AppEnv } from '../http/context';
import { successEnvelope } from '../errors';
import { BODY_REJECTIONS, errorResponses, jsonContent, jsonRequest, withHeaders } from '../http/openapi';
import {
  EXAMPLE_LOGIN_RESULT,
  EXAMPLE_TENANT_ID,
  envelopeOf,
  LoginBody,
  LoginResult,
  RegisterBody,
  TenantId,
} from '../schemas';
import { logIn } from '../tenants/login';
import { logOut } from '../tenants/logout';
import { registerTenant } from '../tenants/register';
import { jsonBody, throwOnInvalid } from '../http/validate';

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/register',
  tags: ['Authentication'],
  summary: 'Register a tenant with login credentials',
  ...secured('apiKey', jsonBody()),
  request: jsonRequest(RegisterBody),
  responses: {
    201: jsonContent(envelopeOf(TenantId, 'RegisterResponse', EXAMPLE_TENANT_ID), 'The tenant was created; data is its id.'),
    ...errorResponses([
      'INVALID_PARAM_USER_NAME',
      'INVALID_PARAM_PASSWORD',
      'INVALID_PARAM_FIRST_NAME',
      'INVALID_PARAM_LAST_NAME',
      'INVALID_PARAM_PHONE_NUMBER',
      'FAILED',
      'UNAUTHORIZED',
      'USER_ALREADY_EXISTS',
      'SOMETHING_WENT_WRONG',
    ]),
    ...BODY_REJECTIONS,
  },
});

/** The spraying limit's headers (IETF draft-ietf-httpapi-ratelimit-headers), on the answers of a login that was judged. */
const RATE_LIMIT_POLICY = z.object({
  'RateLimit-Policy': z.string().openapi({
    description:
      'The limit on logins per application key and client address across all user names: q logins in w seconds ' +
      '(LOGIN_FAILURES_PER_MINUTE). Logins presenting a valid X-Device-Token of the user named do not count.',
    example: '"failed-logins";q=30;w=60',
  }),
});
const RATE_LIMIT_REFUSED = z.object({
  RateLimit: z.string().optional().openapi({
    description: 'Only when that limit refused the login: nothing remains (r=0) for at most t seconds.',
    example: '"failed-logins";r=0;t=60',
  }),
});

const loginRoute = createRoute({
  method: 'post',
  path: '/v1/login',
  tags: ['Authentication'],
  summary: 'Log in and receive a session token',
  description:
    'Failed passwords are counted per user of the key\'s business: for a client that presents a valid ' +
    'X-Device-Token of that user, per device; for every other client, together. After MAX_FAILED_ATTEMPTS ' +
    '(default 5) in FAILED_ATTEMPT_WINDOW_MINUTES the counted party is refused with 429 and Retry-After, the ' +
    'correct password included; a lockout of the clients without a device token never refuses a known device. ' +
    'Device tokens issued before the last password change share one such budget until each logs in with the new ' +
    'password, except the device whose session made the change. ' +
    'Logins without a valid device token of the user named also spend the key and client address\'s budget of ' +
    'LOGIN_FAILURES_PER_MINUTE (default 30) a minute; beyond it they answer 429 with RateLimit headers.',
  ...secured('apiKey', jsonBody()),
  parameters: [
    {
      name: 'X-Device-Token',
      in: 'header',
      required: false,
      description:
        'The deviceToken an earlier login of the same user on this client answered. Marks the client as a known ' +
        'device of that user; a token that is invalid, expired or of another user is ignored (no error).',
      schema: { type: 'string', example: EXAMPLE_LOGIN_RESULT.deviceToken },
    },
  ],
  request: jsonRequest(LoginBody),
  responses: withHeaders(
    {
      200: jsonContent(
        envelopeOf(LoginResult, 'LoginResponse', EXAMPLE_LOGIN_RESULT),
        'Logged in; send data.token as X-Token, and keep data.deviceToken for the next login as X-Device-Token.',
      ),
      ...errorResponses([
        'INVALID_PARAM_USER_NAME',
        'INVALID_PARAM_PASSWORD',
        'FAILED',
        'UNAUTHORIZED',
        'INVALID_CREDENTIALS',
        'TOO_MANY_ATTEMPTS',
        'SOMETHING_WENT_WRONG',
      ]),
      ...BODY_REJECTIONS,
    },
    // Failures come also before a login is judged (a missing key), without the policy.
    {
      200: RATE_LIMIT_POLICY,
      401: RATE_LIMIT_POLICY.partial(),
      429: RATE_LIMIT_POLICY.partial().extend(RATE_LIMIT_REFUSED.shape),
    },
  ),
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/v1/logout',
  tags: ['Authentication'],
  summary: 'Revoke the calling session',
  ...secured('session'),
  responses: {
    200: jsonContent(envelopeOf(z.null(), 'LogoutResponse', null), 'The session is revoked.'),
    ...errorResponses(['UNAUTHORIZED', 'SOMETHING_WENT_WRONG']),
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const authRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(registerRoute, async (c) => {
    const id = await registerTenant(depsOf(c), c.req.valid('json'));
    return c.json(successEnvelope(id), 201);
  })

  .openapi(loginRoute, async (c) => {
    // On every answer of the handler, failures included: the limit applies to the client whatever happens.
    c.header('RateLimit-Policy', loginRateLimitPolicy(settingsFrom(c.env).loginFailuresPerMinute));
    const result = await logIn(depsOf(c), c.req.valid('json'), c.req.header('X-Device-Token'));
    return c.json(successEnvelope(result), 200);
  })

  .openapi(logoutRoute, async (c) => {
    await logOut(depsOf(c), c.get('session'));
    return c.json(successEnvelope(null), 200);
  });
