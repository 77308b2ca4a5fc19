import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { requireApiKey } from '../http/api-key';
import { depsOf, type AppEnv } from '../http/context';
import { SECURITY, errorResponses, jsonContent } from '../http/openapi';
import { presentSession, takePresentedSession } from '../http/session';
import { successEnvelope } from '../errors';
import { EXAMPLE_SESSION_INFO, envelopeOf, SessionInfo } from '../schemas';
import { describeSession } from '../tenants/current-session';
import { throwOnInvalid } from '../http/validate';

const sessionRoute = createRoute({
  method: 'get',
  path: '/v1/session',
  operationId: 'getSession',
  tags: ['Authentication'],
  summary: 'Check the calling session and tell when it ends',
  description:
    "For a portal's back end checking a token on every page: the session's tenant and when it ends (at the earlier " +
    'of expiresAt and idleExpiresAt). Validated in one call to the tenant\'s Durable Object; nothing is read from or ' +
    'written to D1. Works with publishable and server keys of the session\'s business. A valid use renews the idle ' +
    'timer, as on every session route.',
  // The session is validated by the workflow, in the same call that reads its times.
  security: SECURITY.session,
  middleware: [requireApiKey(), presentSession()],
  responses: {
    200: jsonContent(envelopeOf(SessionInfo, 'GetSessionResponse', EXAMPLE_SESSION_INFO), 'The session is valid.'),
    ...errorResponses(['UNAUTHORIZED', 'SOMETHING_WENT_WRONG']),
  },
});

/** Chained, so that its type carries every route, request and response for `hc<AppType>()`. */
export const sessionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid }).openapi(sessionRoute, async (c) =>
  c.json(successEnvelope(await describeSession(depsOf(c), takePresentedSession(c))), 200),
);
