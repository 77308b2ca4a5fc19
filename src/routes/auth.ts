import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { loginRateLimit, loginRateLimitPolicy } from '../auth/login-spraying';
import { CLIENT_ADDRESS_HEADER } from '../http/client';
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

/** The end user's address a server key may name; documented on every route with a per-client limit. */
/** The optional X-Device-Token header, `role` saying what it does on the route; an unusable one is ignored. */
export const deviceTokenParameter = (role: string) => ({
  name: 'X-Device-Token',
  in: 'header' as const,
  required: false,
  description: `${role}; a token that is invalid, expired or of another user is ignored (no error).`,
  schema: { type: 'string' as const, example: EXAMPLE_LOGIN_RESULT.deviceToken },
});

export const CLIENT_ADDRESS_PARAMETER = {
  name: CLIENT_ADDRESS_HEADER,
  in: 'header' as const,
  required: false,
  description:
    'Only through a `server` key (a portal calling for its users): the end user\'s IPv4 or IPv6 address, which then ' +
    'replaces the caller\'s address (CF-Connecting-IP) for every per-client limit of this request. Anything but one ' +
    'plain address answers 400 FAILED. Through a `publishable` key it is ignored, whatever it holds.',
  schema: { type: 'string' as const, example: '198.51.100.23' },
};

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/register',
  operationId: 'register',
  tags: ['Authentication'],
  summary: 'Register a tenant with login credentials',
  description:
    'Registrations are counted per application key and client address (see X-Client-Address): beyond ' +
    'REGISTRATIONS_PER_MINUTE (default 20) in a minute, register answers 429 TOO_MANY_ATTEMPTS with Retry-After ' +
    'before any password is hashed.',
  ...secured('apiKey', jsonBody()),
  parameters: [CLIENT_ADDRESS_PARAMETER],
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
      'TOO_MANY_ATTEMPTS',
      'SOMETHING_WENT_WRONG',
    ]),
    ...BODY_REJECTIONS,
  },
});

/** The spraying limit's headers (IETF draft-ietf-httpapi-ratelimit-headers), on the answers of a login that was judged. */
export const RATE_LIMIT_HEADERS = z.object({
  'RateLimit-Policy': z.string().openapi({
    description:
      'The limit on failed logins per application key and client address across all user names: q failures in w ' +
      'seconds (LOGIN_FAILURES_PER_MINUTE). Successful logins do not count.',
    example: '"failed-logins";q=30;w=60',
  }),
  RateLimit: z.string().openapi({
    description:
      'What is left of that limit for this client: r failures (0 once it refuses) for t more seconds. An IPv6 ' +
      'client also shares its /48\'s limit, four times as large; the tighter of the two is shown.',
    example: '"failed-logins";r=29;t=60',
  }),
});

const loginRoute = createRoute({
  method: 'post',
  path: '/v1/login',
  operationId: 'login',
  tags: ['Authentication'],
  summary: 'Log in and receive a session token',
  description:
    'Failed passwords are counted per user of the key\'s business: for a client that presents a valid ' +
    'X-Device-Token of that user, per device; for every other client, together. After MAX_FAILED_ATTEMPTS ' +
    '(default 5) in FAILED_ATTEMPT_WINDOW_MINUTES the counted party is refused with 429 and Retry-After, the ' +
    'correct password included; a lockout of the clients without a device token never refuses a known device. ' +
    'Device tokens issued before the last password change share one such budget until each logs in with the new ' +
    'password, except the device whose session made the change. ' +
    'Failed logins are also counted per application key and client address (see X-Client-Address) across user ' +
    'names: beyond LOGIN_FAILURES_PER_MINUTE (default 30) in a minute (an IPv6 /48: four times as many), that ' +
    'client\'s logins answer 429 with Retry-After, except from a known device of the user named. Successful ' +
    'logins never count. Every judged login carries RateLimit-Policy and RateLimit.',
  ...secured('apiKey', jsonBody()),
  parameters: [
    CLIENT_ADDRESS_PARAMETER,
    deviceTokenParameter(
      'The deviceToken an earlier login of the same user on this client answered. Marks the client as a known ' +
        'device of that user',
    ),
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
      200: RATE_LIMIT_HEADERS,
      401: RATE_LIMIT_HEADERS.partial(),
      429: RATE_LIMIT_HEADERS.partial(),
      500: RATE_LIMIT_HEADERS.partial(),
    },
  ),
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/v1/logout',
  operationId: 'logout',
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
    const result = await logIn(depsOf(c), c.req.valid('json'), c.req.header('X-Device-Token'), (left) =>
      c.header('RateLimit', loginRateLimit(left)),
    );
    return c.json(successEnvelope(result), 200);
  })

  .openapi(logoutRoute, async (c) => {
    await logOut(depsOf(c), c.get('session'));
    return c.json(successEnvelope(null), 200);
  });
