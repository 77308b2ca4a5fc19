import type { OpenAPIHono, z } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from './context';
import { ERRORS, type ErrorCode } from './errors';
import { FailureEnvelope } from './schemas';
import { BODY_TOO_LARGE, NOT_JSON } from './validate';

/** What a route requires, by the names of the security schemes `serveApiDocs` registers. */
export const SECURITY = {
  apiKey: [{ ApiKey: [] }],
  session: [{ ApiKey: [], Token: [] }],
};

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** A route's required JSON body; `jsonBody()` in its middleware refuses anything else first. */
export const jsonRequest = <T extends z.ZodType>(schema: T) => ({
  body: { required: true as const, content: { 'application/json': { schema } } },
});

interface FailureResponse {
  description: string;
  content: { 'application/json': { schema: typeof FailureEnvelope; examples: Record<string, { value: unknown }> } };
}

/** One documented failure status: the envelope schema and an example per code. */
function failureResponse(description: string, examples: [ErrorCode, string][]): FailureResponse {
  return {
    description,
    content: {
      'application/json': {
        schema: FailureEnvelope,
        examples: Object.fromEntries(
          examples.map(([code, message]) => [
            code,
            { value: { data: null, succeeded: false, status: code, errors: [{ code, message }] } },
          ]),
        ),
      },
    },
  };
}

/**
 * OpenAPI responses for the error codes a route can answer, grouped by HTTP status, one example per code.
 * Keyed by the codes' statuses, so `hc<AppType>()` clients see each failure status and its envelope.
 */
export function errorResponses<const C extends readonly ErrorCode[]>(codes: C) {
  type Status = (typeof ERRORS)[C[number]]['status'];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, FailureResponse> = Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      status,
      failureResponse(
        group.join(', '),
        group.map((code) => [code, ERRORS[code].message]),
      ),
    ]),
  );
  // fromEntries cannot carry its keys' types; they are exactly the statuses of `codes`.
  return responses as Record<Status, FailureResponse>;
}

/** The FAILED answers of `jsonBody()` that add to the 400 every route lists, from the errors it throws. */
export const BODY_REJECTIONS = {
  [BODY_TOO_LARGE.status]: failureResponse('FAILED: the body is larger than the limit', [['FAILED', BODY_TOO_LARGE.message]]),
  [NOT_JSON.status]: failureResponse('FAILED: Content-Type is not application/json', [['FAILED', NOT_JSON.message]]),
};

/** Serves the OpenAPI document of every route registered on `app` so far, and the page that renders it. */
export function serveApiDocs(app: OpenAPIHono<AppEnv>): void {
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
}
