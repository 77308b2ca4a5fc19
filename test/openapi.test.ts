import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { ERRORS } from '../src/errors';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: { status: string } }> }> }>;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; in: string; name: string }>;
    schemas: Record<string, unknown>;
  };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://api.test${path}`, { headers }), env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function openApiDocument(): Promise<OpenApiDocument> {
  const reply = await get('/openapi.json');
  expect(reply.status).toBe(200);
  return JSON.parse(reply.text) as OpenApiDocument;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const ROUTES = [
  { path: '/v1/register', method: 'post', security: ['ApiKey'] },
  { path: '/v1/login', method: 'post', security: ['ApiKey'] },
  { path: '/v1/logout', method: 'post', security: ['ApiKey', 'Token'] },
  { path: '/v1/tenant/profile/change-password/request', method: 'get', security: ['ApiKey', 'Token'] },
  { path: '/v1/tenant/profile/change-password', method: 'put', security: ['ApiKey', 'Token'] },
];

/** Every (route, HTTP status, error code) the document lists as an example failure. */
function documentedErrors(doc: OpenApiDocument) {
  const found: { route: string; status: number; code: string }[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        for (const media of Object.values(response.content ?? {})) {
          for (const [name, example] of Object.entries(media.examples ?? {})) {
            found.push({ route: `${method.toUpperCase()} ${path}`, status: Number(status), code: name });
            expect(example.value.status).toBe(name);
          }
        }
      }
    }
  }
  return found;
}

describe('GET /openapi.json', () => {
  it('should serve an OpenAPI 3.1.0 document without an API key', async () => {
    const reply = await get('/openapi.json');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('Content-Type')).toMatch(/^application\/json/);
    const doc = JSON.parse(reply.text) as OpenApiDocument;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title.length).toBeGreaterThan(0);
    expect(doc.info.version.length).toBeGreaterThan(0);
  });

  it('should serve the same document with an unknown API key', async () => {
    const withoutKey = await get('/openapi.json');
    const withBadKey = await get('/openapi.json', { 'X-API-Key': 'not-a-key' });

    expect(withBadKey.status).toBe(200);
    expect(withBadKey.text).toBe(withoutKey.text);
  });

  it('should list exactly the five /v1 paths', async () => {
    const doc = await openApiDocument();

    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/v1/')).sort()).toEqual(
      ROUTES.map((route) => route.path).sort(),
    );
  });

  it.each(ROUTES)('should document $method $path and no other method on it', async ({ path, method }) => {
    const doc = await openApiDocument();

    const methods = Object.keys(doc.paths[path] ?? {}).filter((key) => HTTP_METHODS.includes(key));

    expect(methods).toEqual([method]);
  });

  it.each(ROUTES)('should require $security on $method $path', async ({ path, method, security }) => {
    const doc = await openApiDocument();

    const requirements = doc.paths[path][method].security ?? [];

    expect(requirements).toHaveLength(1);
    expect(Object.keys(requirements[0]).sort()).toEqual([...security].sort());
  });

  it('should describe the ApiKey and Token security schemes as headers', async () => {
    const doc = await openApiDocument();

    expect(doc.components.securitySchemes.ApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes.Token).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Token' });
  });

  it('should document only error codes that the service defines, under their HTTP status', async () => {
    const doc = await openApiDocument();

    const errors = documentedErrors(doc);

    expect(errors.length).toBeGreaterThan(0);
    for (const { route, status, code } of errors) {
      expect(Object.keys(ERRORS), `${route} documents ${code}`).toContain(code);
      // FAILED is also the code of transport-level refusals: a too-large body (413), a wrong content type (415).
      const statuses: number[] = code === 'FAILED' ? [400, 413, 415] : [ERRORS[code as keyof typeof ERRORS].status];
      expect(statuses, `${route} ${code}`).toContain(status);
    }
  });

  it.each(ROUTES)('should document at least one error code on $method $path, UNAUTHORIZED among them', async ({ path, method }) => {
    const doc = await openApiDocument();

    const codes = documentedErrors(doc)
      .filter((error) => error.route === `${method.toUpperCase()} ${path}`)
      .map((error) => error.code);

    expect(codes).toContain('UNAUTHORIZED');
    expect(codes).toContain('SOMETHING_WENT_WRONG');
  });

  it.each([
    { path: '/v1/login', method: 'post', codes: ['INVALID_CREDENTIALS', 'TOO_MANY_ATTEMPTS'] },
    { path: '/v1/register', method: 'post', codes: ['USER_ALREADY_EXISTS', 'INVALID_PARAM_USER_NAME', 'INVALID_PARAM_PASSWORD'] },
    {
      path: '/v1/tenant/profile/change-password',
      method: 'put',
      codes: [
        'INVALID_PARAM_EXISTING_PASSWORD',
        'INVALID_PARAM_NEW_PASSWORD',
        'INVALID_PARAM_CONCURRENCY_STAMP',
        'MISMATCH_EXISTING_PASSWORD',
        'CHANGE_PASSWORD_FAILED',
        'TOO_MANY_ATTEMPTS',
      ],
    },
    { path: '/v1/tenant/profile/change-password/request', method: 'get', codes: ['CONCURRENCY_STAMP_CREATE_FAILED'] },
  ])('should document the codes of the contract on $method $path', async ({ path, method, codes }) => {
    const doc = await openApiDocument();

    const documented = documentedErrors(doc)
      .filter((error) => error.route === `${method.toUpperCase()} ${path}`)
      .map((error) => error.code);

    for (const code of codes) expect(documented).toContain(code);
  });

  it.each(ROUTES)('should document a 2xx success response on $method $path', async ({ path, method }) => {
    const doc = await openApiDocument();

    const statuses = Object.keys(doc.paths[path][method].responses).map(Number);

    expect(statuses.some((status) => status >= 200 && status < 300)).toBe(true);
  });

  it.each(['/v1/register', '/v1/login', '/v1/tenant/profile/change-password'])(
    'should document a required JSON body on %s',
    async (path) => {
      const doc = await openApiDocument();

      const operation = Object.values(doc.paths[path])[0];

      expect(operation.requestBody?.required).toBe(true);
      expect(Object.keys(operation.requestBody?.content ?? {})).toEqual(['application/json']);
    },
  );

  it('should not leak secrets or hashing details', async () => {
    const reply = await get('/openapi.json');

    expect(reply.text.toLowerCase()).not.toContain('pbkdf2');
    expect(reply.text).not.toContain('apikey:');
  });
});

describe('GET /docs', () => {
  it('should serve an HTML page that loads /openapi.json, without an API key', async () => {
    const reply = await get('/docs');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(reply.text).toContain('/openapi.json');
    expect(reply.text.toLowerCase()).toContain('<html');
  });

  it('should load the Scalar bundle from this worker and nothing from another host', async () => {
    const reply = await get('/docs');

    expect(reply.text).toContain('<script src="/scalar/standalone.js">');
    expect(reply.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
