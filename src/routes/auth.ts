import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireApiKey } from '../auth/api-key';
import { LOGIN_SCOPE, reserveAttempt } from '../auth/attempts';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { findPasswordPolicyViolation } from '../auth/password-policy';
import { requireSession } from '../auth/session';
import { issueToken } from '../auth/session-token';
import { pepperFrom, settingsFrom } from '../config';
import type { AppEnv } from '../context';
import { ApiError, successEnvelope } from '../errors';
import { logEvent } from '../logging';
import {
  BODY_REJECTIONS,
  EXAMPLE_LOGIN_RESULT,
  EXAMPLE_TENANT_ID,
  envelopeOf,
  errorResponses,
  jsonContent,
  LoginBody,
  LoginResult,
  RegisterBody,
  TenantId,
} from '../schemas';
import { loginThrottle, tenantSessions } from '../sessions/stub';
import {
  createTenant,
  findTenantByUserName,
  openDatabase,
  recordAuditEvent,
  upgradePasswordHash,
} from '../tenants/repository';
import { throwOnInvalid, jsonBody } from '../validate';

const API_KEY = [{ ApiKey: [] }];
const API_KEY_AND_SESSION = [{ ApiKey: [], Token: [] }];

const register = createRoute({
  method: 'post',
  path: '/v1/register',
  tags: ['Authentication'],
  summary: 'Register a tenant with login credentials',
  security: API_KEY,
  middleware: [requireApiKey(), jsonBody()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: RegisterBody } } } },
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

const login = createRoute({
  method: 'post',
  path: '/v1/login',
  tags: ['Authentication'],
  summary: 'Log in and receive a session token',
  security: API_KEY,
  middleware: [requireApiKey(), jsonBody()] as const,
  request: { body: { required: true, content: { 'application/json': { schema: LoginBody } } } },
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

const logout = createRoute({
  method: 'post',
  path: '/v1/logout',
  tags: ['Authentication'],
  summary: 'Revoke the calling session',
  security: API_KEY_AND_SESSION,
  middleware: [requireApiKey(), requireSession()] as const,
  responses: {
    200: jsonContent(envelopeOf(z.null(), 'LogoutResponse', null), 'The session is revoked.'),
    ...errorResponses(['UNAUTHORIZED', 'SOMETHING_WENT_WRONG']),
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const authRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid })
  .openapi(register, async (c) => {
    const body = c.req.valid('json');
    const settings = settingsFrom(c.env);
    const violation = findPasswordPolicyViolation(body.password, settings.passwordMinLength, body);
    if (violation) {
      throw new ApiError('INVALID_PARAM_PASSWORD', { message: `password ${violation}`, field: 'password' });
    }
    const id = await createTenant(
      openDatabase(c.env.DB),
      {
        userName: body.userName,
        firstName: body.firstName,
        lastName: body.lastName,
        phoneNumber: body.phoneNumber ?? null,
        passwordHash: await hashPassword(body.password, pepperFrom(c.env)),
      },
      Date.now(),
    );
    if (!id) throw new ApiError('USER_ALREADY_EXISTS', { field: 'userName' });
    logEvent(c, 'info', 'tenant.registered', { tenantId: id });
    return c.json(successEnvelope(id), 201);
  })

  .openapi(login, async (c) => {
    const { userName, password } = c.req.valid('json');
    const db = openDatabase(c.env.DB);
    const throttle = loginThrottle(c.env, userName);
    await reserveAttempt(throttle, LOGIN_SCOPE);

    const tenant = await findTenantByUserName(db, userName);
    const storedHash = tenant?.passwordHash && !tenant.isDisabled ? tenant.passwordHash : null;
    // Unknown users cost the same derivation as real ones, so timing does not reveal who exists.
    const pepper = pepperFrom(c.env);
    const matches = await verifyPassword(password, storedHash ?? DUMMY_PASSWORD_HASH, pepper);
    if (!tenant || !storedHash || !matches) {
      // The failure was counted when the attempt was reserved; nothing to tell the counter.
      await recordAuditEvent(db, {
        tenantId: tenant?.id ?? null,
        event: 'login',
        outcome: 'invalid_credentials',
        requestId: c.get('requestId'),
        now: Date.now(),
      });
      logEvent(c, 'warn', 'auth.login.failed', { tenantId: tenant?.id ?? null });
      throw new ApiError('INVALID_CREDENTIALS');
    }
    await throttle.finishAttempt(LOGIN_SCOPE, { verified: true });
    if (needsRehash(storedHash, pepper)) {
      await upgradePasswordHash(db, tenant.id, storedHash, await hashPassword(password, pepper));
      logEvent(c, 'info', 'auth.password_hash_upgraded', { tenantId: tenant.id });
    }

    const settings = settingsFrom(c.env);
    const issued = await issueToken(tenant.id);
    const expiresAt = Date.now() + settings.sessionTtlMs;
    await tenantSessions(c.env, tenant.id).createSession({
      sessionId: issued.sessionId,
      secretHash: issued.secretHash,
      expiresAt,
    });
    logEvent(c, 'info', 'auth.login.succeeded', { tenantId: tenant.id, sessionId: issued.sessionId });
    return c.json(
      successEnvelope({
        token: issued.token,
        expiresAt: new Date(expiresAt).toISOString(),
        authContactBookInfo: {
          id: tenant.id,
          firstName: tenant.firstName,
          lastName: tenant.lastName,
          email: tenant.userName,
          phoneNumber: tenant.phoneNumber,
        },
      }),
      200,
    );
  })

  .openapi(logout, async (c) => {
    const session = c.get('session');
    await tenantSessions(c.env, session.tenantId).revokeSession(session.sessionId);
    logEvent(c, 'info', 'auth.logout', { tenantId: session.tenantId, sessionId: session.sessionId });
    return c.json(successEnvelope(null), 200);
  });
