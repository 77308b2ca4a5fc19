import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { secured } from '../auth/secured';
import { depsFrom, type AppEnv } from '../context';
import { successEnvelope } from '../errors';
import { BODY_REJECTIONS, errorResponses, jsonContent, jsonRequest } from '../openapi';
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
import { jsonBody, throwOnInvalid } from '../validate';

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

const loginRoute = createRoute({
  method: 'post',
  path: '/v1/login',
  tags: ['Authentication'],
  summary: 'Log in and receive a session token',
  ...secured('apiKey', jsonBody()),
  request: jsonRequest(LoginBody),
  responses: {
    200: jsonContent(envelopeOf(LoginResult, 'LoginResponse', EXAMPLE_LOGIN_RESULT), 'Logged in; send data.token as X-Token.'),
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
    const id = await registerTenant(depsFrom(c), c.req.valid('json'));
    return c.json(successEnvelope(id), 201);
  })

  .openapi(loginRoute, async (c) => {
    const result = await logIn(depsFrom(c), c.req.valid('json'));
    return c.json(successEnvelope(result), 200);
  })

  .openapi(logoutRoute, async (c) => {
    await logOut(depsFrom(c), c.get('session'));
    return c.json(successEnvelope(null), 200);
  });
