import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './http/context';
import { handleError } from './http/error-handler';
import { requestLog } from './http/request-log';
import { serveApiDocs } from './http/openapi';
import { adminImportRoutes } from './routes/admin-import';
import { adminTenantRoutes } from './routes/admin-tenants';
import { authRoutes } from './routes/auth';
import { changePasswordRoutes } from './routes/change-password';
import { healthRoutes } from './routes/health';
import { sessionRoutes } from './routes/session';
import { passwordResetRoutes } from './routes/password-reset';
import { wellKnownRoutes } from './routes/well-known';
import { provideDeps } from './wiring';
import { allowedMethods, methodNotAllowed, unmatched } from './http/unmatched';
import { throwOnInvalid } from './http/validate';

export const app = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

// Always our own id: it keys audit rows, so a client must not choose it. The client's own id is logged beside it.
app.use(requestId({ headerName: '' }));
app.use(requestLog());
app.use(provideDeps());
app.use(secureHeaders());
app.use(async function jsonCharset(c, next) {
  await next();
  if (c.res.headers.get('Content-Type') === 'application/json') {
    c.res.headers.set('Content-Type', 'application/json; charset=utf-8');
  }
});
app.use('/v1/*', async function preflightNeedsOrigin(c, next) {
  // OPTIONS without Origin is no CORS preflight: let it reach the 404/405 envelope.
  if (c.req.method === 'OPTIONS' && !c.req.header('Origin')) return unmatched(c, app.routes);
  await next();
});
app.use(
  '/v1/*',
  cors({
    origin: '*',
    allowHeaders: ['Content-Type', 'X-API-Key', 'X-Token', 'X-Device-Token', 'X-Client-Address', 'X-Request-Id'],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['Retry-After', 'RateLimit-Policy', 'RateLimit', 'X-Request-Id', 'WWW-Authenticate'],
    maxAge: 600,
  }),
);
app.use('/v1/*', async function refuseHead(c, next) {
  // Hono would run the GET handler for HEAD; on the API that would issue a stamp nobody can read.
  const allowed = c.req.method === 'HEAD' ? allowedMethods(app.routes, c.req.path) : [];
  if (allowed.length > 0) return methodNotAllowed(c, allowed);
  await next();
});
app.use('/v1/*', async function noStore(c, next) {
  await next();
  // Tokens and stamps must never sit in a cache; no API answer is worth caching anyway.
  c.header('Cache-Control', 'no-store');
});

/** The API's routes; their type is what `hc<AppType>()` clients use. */
export const apiRoutes = app
  .route('/', authRoutes)
  .route('/', changePasswordRoutes)
  .route('/', adminImportRoutes)
  .route('/', sessionRoutes)
  .route('/', passwordResetRoutes);

// Outside AppType: hono/client's path types break on `{tenantId}` chained with the routes above (every
// property of the client became one admin route); these routes are for a business's servers, by the document.
app.route('/', adminTenantRoutes);

export type AppType = typeof apiRoutes;

app.route('/', wellKnownRoutes);
app.route('/', healthRoutes);
serveApiDocs(app);

app.notFound((c) => unmatched(c, app.routes));
app.onError(handleError);
