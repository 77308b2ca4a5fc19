import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './context';
import { ApiError, handleError, renderApiError } from './errors';
import { requestLog } from './logging';
import { authRoutes } from './routes/auth';
import { changePasswordRoutes } from './routes/change-password';
import { wellKnownRoutes } from './routes/well-known';
import { throwOnInvalid } from './validate';

export const app = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

// Always our own id: it keys audit rows, so a client must not choose it. The client's own id is logged beside it.
app.use(requestId({ headerName: '' }));
app.use(requestLog());
app.use(secureHeaders());
app.use(async function jsonCharset(c, next) {
  await next();
  if (c.res.headers.get('Content-Type') === 'application/json') {
    c.res.headers.set('Content-Type', 'application/json; charset=utf-8');
  }
});
app.use('/v1/*', async function preflightNeedsOrigin(c, next) {
  // OPTIONS without Origin is no CORS preflight: let it reach the 404/405 envelope.
  if (c.req.method === 'OPTIONS' && !c.req.header('Origin')) {
    const allowed = allowedMethods(c.req.path);
    return allowed.length > 0 ? methodNotAllowed(c, allowed) : notFound(c);
  }
  await next();
});
app.use(
  '/v1/*',
  cors({
    origin: '*',
    allowHeaders: ['Content-Type', 'X-API-Key', 'X-Token', 'X-Request-Id'],
    allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
    exposeHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: 600,
  }),
);
app.use('/v1/*', async function refuseHead(c, next) {
  // Hono would run the GET handler for HEAD; on the API that would issue a stamp nobody can read.
  const allowed = c.req.method === 'HEAD' ? allowedMethods(c.req.path) : [];
  if (allowed.length > 0) return methodNotAllowed(c, allowed);
  await next();
});
app.use('/v1/*', async function noStore(c, next) {
  await next();
  // Tokens and stamps must never sit in a cache; no API answer is worth caching anyway.
  c.header('Cache-Control', 'no-store');
});

/** The API's routes; their type is what `hc<AppType>()` clients use. */
export const apiRoutes = app.route('/', authRoutes).route('/', changePasswordRoutes);

export type AppType = typeof apiRoutes;

app.route('/', wellKnownRoutes);

app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
  type: 'apiKey',
  in: 'header',
  name: 'X-API-Key',
  description: 'Application key, created with `npm run api-key -- create --name <name>`.',
});
app.openAPIRegistry.registerComponent('securitySchemes', 'Token', {
  type: 'apiKey',
  in: 'header',
  name: 'X-Token',
  description: 'Session token returned by POST /v1/login.',
});

app.doc31('/openapi.json', {
  openapi: '3.1.0',
  info: {
    title: 'StoRegister tenant password-change API',
    version: '1.0.0',
    description:
      'A logged-in tenant changes their own password, guarded by an application key, a session token, ' +
      'the existing password and a single-use concurrency stamp. Every response is the envelope ' +
      '`{ data, succeeded, status, errors }`.',
  },
  tags: [{ name: 'Authentication' }, { name: 'Password change' }],
});

// The page loads Scalar's bundle from this worker's static assets (scripts/docs-assets.mjs puts it
// there) and no web fonts, so it renders offline and asks no third party for anything. The developer
// toolbar and the AI agent (both shown on localhost by default) lead to Scalar's hosted services.
app.get(
  '/docs',
  Scalar({
    url: '/openapi.json',
    pageTitle: 'StoRegister tenant API',
    cdn: '/scalar/standalone.js',
    withDefaultFonts: false,
    defaultOpenAllTags: true,
    showDeveloperTools: 'never',
    agent: { disabled: true },
  }),
);

function allowedMethods(path: string): string[] {
  const methods = app.routes.filter((route) => route.path === path && route.method !== 'ALL').map((route) => route.method);
  return [...new Set(methods)];
}

function methodNotAllowed(c: Context, allowed: string[]): Response {
  c.header('Allow', allowed.join(', '));
  return renderApiError(c, new ApiError('FAILED', { status: 405, message: `Method ${c.req.method} is not allowed here.` }));
}

function notFound(c: Context): Response {
  return renderApiError(c, new ApiError('FAILED', { status: 404, message: 'No such route.' }));
}

app.notFound((c) => {
  const allowed = allowedMethods(c.req.path);
  return allowed.length > 0 ? methodNotAllowed(c, allowed) : notFound(c);
});

app.onError(handleError);
