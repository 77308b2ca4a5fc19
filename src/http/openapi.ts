import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from './context';
import { CONTRACT_VERSION, SERVICE_VERSION } from '../config';
import { ERRORS, type ErrorCode } from '../errors';
import { documentWebhooks } from './webhook-docs';
import { FailureEnvelope } from '../schemas';
import { BODY_TOO_LARGE, bodyTooLarge, NOT_JSON } from './validate';

/** What a route requires, by the names of the security schemes `serveApiDocs` registers. */
export const SECURITY = {
  apiKey: [{ ApiKey: [] }],
  session: [{ ApiKey: [], Token: [] }],
  /** An X-API-Key of kind `server` (tenant administration); a publishable key is refused with 403 KEY_NOT_ALLOWED. */
  server: [{ ApiKey: [] }],
};

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** A route's required JSON body; `jsonBody()` in its middleware refuses anything else first. */
export const jsonRequest = <T extends z.ZodType>(schema: T) => ({
  body: { required: true as const, content: { 'application/json': { schema } } },
});

/** Response headers, documented as a zod object whose keys are the header names. */
type ResponseHeaders = z.ZodObject<Record<string, z.ZodType>>;

interface FailureResponse {
  description: string;
  headers?: ResponseHeaders;
  content: { 'application/json': { schema: typeof FailureEnvelope; examples: Record<string, { value: unknown }> } };
}

/** Every 429 says when to try again. */
const RETRY_AFTER = z.object({
  'Retry-After': z.number().int().min(1).openapi({ description: 'Seconds to wait before trying again.', example: 900 }),
});

/** Every 401 names the scheme that failed (RFC 9110). */
const WWW_AUTHENTICATE = z.object({
  'WWW-Authenticate': z.string().openapi({
    description:
      'The challenge of the credential that failed: `ApiKey` for X-API-Key, `Token` for X-Token (also on a failed ' +
      "login, which issues no token). The envelope's message says what was wrong with it.",
    example: 'Token realm="storegister", header="X-Token"',
  }),
});

/** Adds headers to the documented responses, by status, keeping the headers they had. */
export function withHeaders<R extends Record<number, { description: string; headers?: ResponseHeaders }>>(
  responses: R,
  byStatus: Partial<Record<keyof R & number, ResponseHeaders>>,
): R {
  const added = Object.entries(byStatus).map(([status, headers]) => {
    const response = responses[Number(status)];
    const shape = { ...response.headers?.shape, ...(headers as ResponseHeaders).shape };
    return [status, { ...response, headers: z.object(shape) }];
  });
  return { ...responses, ...Object.fromEntries(added) };
}

/** One documented failure status: the envelope schema and an example per code. */
function failureResponse(description: string, examples: [ErrorCode, string][], status?: number): FailureResponse {
  return {
    description,
    ...(status === 429 ? { headers: RETRY_AFTER } : status === 401 ? { headers: WWW_AUTHENTICATE } : {}),
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
        status,
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

/** BODY_REJECTIONS for a route whose `jsonBody(maxBytes)` takes more than MAX_BODY_BYTES. */
export const bodyRejections = (maxBytes: number) => ({
  ...BODY_REJECTIONS,
  [BODY_TOO_LARGE.status]: failureResponse('FAILED: the body is larger than the limit', [['FAILED', bodyTooLarge(maxBytes).message]]),
});

/** Where the API runs: `npm start` locally, and a deployment's URL (`npm run deploy` prints it). */
export const SERVERS = [
  { url: 'http://127.0.0.1:8787', description: 'Local: npm start' },
  {
    url: 'https://{host}',
    description: 'Deployed: the URL `npm run deploy` prints (workers.dev or a custom domain)',
    variables: { host: { default: 'storegister-tenant-password-api.example.workers.dev' } },
  },
];

/** Serves the OpenAPI document of every route registered on `app` so far, and the page that renders it. */
export function serveApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description:
      'Application key of one business (self-storage company), created with ' +
      '`npm run api-key -- create --name <name> [--business <slug>]`. A key sees only the tenants of its business, ' +
      'and a session token works only with keys of the business that issued it.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'Token', {
    type: 'apiKey',
    in: 'header',
    name: 'X-Token',
    description: 'Session token returned by POST /v1/login.',
  });

  documentWebhooks(app);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'StoRegister tenant password-change API',
      version: SERVICE_VERSION,
      description:
        `Implements version ${CONTRACT_VERSION} of the StoRegister tenant API contract; info.version is the ` +
        "service's own release. A logged-in tenant changes their own password, guarded by an application key, a " +
        'session token, the existing password and a single-use concurrency stamp. Every /v1 response is the ' +
        'envelope `{ data, succeeded, status, errors }`.',
      'x-contract-version': CONTRACT_VERSION,
    },
    servers: SERVERS,
    tags: [
      { name: 'Authentication', description: 'Register a tenant, log in for a session token, log out.' },
      { name: 'Password change', description: 'The concurrency stamp and the change it guards.' },
      { name: 'Tenant administration', description: 'A business administers its own tenants: server keys only.' },
      { name: 'Password reset', description: 'A single-use token a business issues (server keys) and the tenant completes.' },
      { name: 'Operations', description: 'For the operator and monitoring: no key needed.' },
      { name: 'Webhooks', description: 'Signed events POSTed to the business\'s endpoint (Standard Webhooks).' },
    ],
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
