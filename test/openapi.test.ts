import { describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors';
import { documentedErrors, HTTP_METHODS, openApiDocument, type OpenApiDocument } from './support/openapi';
import { callRaw } from './support/request';
import { ALL_ROUTES, BODY_ROUTES, ROUTES, securityOf } from './support/routes';

const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await callRaw(path, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

/** The contract's routes as the document keys them, with the security each must require. */
const OPERATIONS = ALL_ROUTES.map((route) => ({ path: route.path, method: route.method.toLowerCase(), security: securityOf(route) }));
const operationOf = (route: { path: string; method: string }) => `${route.method.toUpperCase()} ${route.path}`;

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

  it('should list exactly the /v1 paths of the contract', async () => {
    const doc = await openApiDocument();

    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/v1/')).sort()).toEqual(
      OPERATIONS.map((route) => route.path).sort(),
    );
  });

  it.each(OPERATIONS)('should document $method $path and no other method on it', async ({ path, method }) => {
    const doc = await openApiDocument();

    const methods = Object.keys(doc.paths[path] ?? {}).filter((key) => HTTP_METHODS.includes(key));

    expect(methods).toEqual([method]);
  });

  it.each(OPERATIONS)('should require $security on $method $path', async ({ path, method, security }) => {
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
    for (const { route, status, code, example } of errors) {
      expect(example.value.status).toBe(code);
      expect(Object.keys(ERRORS), `${route} documents ${code}`).toContain(code);
      // FAILED is also the code of transport-level refusals: a too-large body (413), a wrong content type (415).
      const statuses: number[] = code === 'FAILED' ? [400, 413, 415] : [ERRORS[code as keyof typeof ERRORS].status];
      expect(statuses, `${route} ${code}`).toContain(status);
    }
  });

  it.each(OPERATIONS)('should document at least one error code on $method $path, UNAUTHORIZED among them', async ({ path, method }) => {
    const doc = await openApiDocument();

    const codes = documentedErrors(doc)
      .filter((error) => error.route === operationOf({ path, method }))
      .map((error) => error.code);

    expect(codes).toContain('UNAUTHORIZED');
    expect(codes).toContain('SOMETHING_WENT_WRONG');
  });

  it.each([
    { ...ROUTES.login, codes: ['INVALID_CREDENTIALS', 'TOO_MANY_ATTEMPTS'] },
    { ...ROUTES.register, codes: ['USER_ALREADY_EXISTS', 'INVALID_PARAM_USER_NAME', 'INVALID_PARAM_PASSWORD', 'TOO_MANY_ATTEMPTS'] },
    {
      ...ROUTES.change,
      codes: [
        'INVALID_PARAM_EXISTING_PASSWORD',
        'INVALID_PARAM_NEW_PASSWORD',
        'INVALID_PARAM_CONCURRENCY_STAMP',
        'MISMATCH_EXISTING_PASSWORD',
        'CHANGE_PASSWORD_FAILED',
        'TOO_MANY_ATTEMPTS',
      ],
    },
    { ...ROUTES.stamp, codes: ['CONCURRENCY_STAMP_CREATE_FAILED'] },
    { ...ROUTES.import, codes: ['KEY_NOT_ALLOWED', 'INVALID_PARAM_TENANTS'] },
  ])('should document the codes of the contract on $method $path', async ({ path, method, codes }) => {
    const doc = await openApiDocument();

    const documented = documentedErrors(doc)
      .filter((error) => error.route === operationOf({ path, method }))
      .map((error) => error.code);

    for (const code of codes) expect(documented).toContain(code);
  });

  it.each([ROUTES.login, ROUTES.register])('should document the X-Client-Address header on $method $path', async ({ path, method }) => {
    const doc = await openApiDocument();

    const parameters = (doc.paths[path][method.toLowerCase()] as { parameters?: { name: string; in: string }[] }).parameters ?? [];

    expect(parameters).toContainEqual(expect.objectContaining({ name: 'X-Client-Address', in: 'header' }));
  });

  it('should document RateLimit-Policy and RateLimit on the login\'s success and refusals', async () => {
    const doc = await openApiDocument();

    const responses = doc.paths[ROUTES.login.path].post.responses as Record<string, { headers?: Record<string, unknown> }>;

    for (const status of ['200', '401', '429']) {
      expect(Object.keys(responses[status].headers ?? {})).toEqual(expect.arrayContaining(['RateLimit-Policy', 'RateLimit']));
    }
  });

  it.each(OPERATIONS)('should document a 2xx success response on $method $path', async ({ path, method }) => {
    const doc = await openApiDocument();

    const statuses = Object.keys(doc.paths[path][method].responses).map(Number);

    expect(statuses.some((status) => status >= 200 && status < 300)).toBe(true);
  });

  it.each(BODY_ROUTES.map((route) => route.path))(
    'should document a required JSON body on %s',
    async (path) => {
      const doc = await openApiDocument();

      const operation = Object.values(doc.paths[path])[0];

      expect(operation.requestBody?.required).toBe(true);
      expect(Object.keys(operation.requestBody?.content ?? {})).toEqual(['application/json']);
    },
  );

  it('should document the import\'s entries, their skip codes and its 1 MiB body limit', async () => {
    const doc = await openApiDocument();
    const operation = doc.paths[ROUTES.import.path].post as unknown as {
      operationId: string;
      responses: Record<string, { content: { 'application/json': { examples: Record<string, { value: { errors: { message: string }[] } }> } } }>;
    };
    const schemas = (doc.components as unknown as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;

    expect(operation.operationId).toBe('importTenants');
    expect(Object.keys(schemas.ImportTenant.properties).sort()).toEqual(['firstName', 'lastName', 'passwordHash', 'phoneNumber', 'userName']);
    expect(JSON.stringify(schemas.ImportResult)).toContain('INVALID_PARAM_PASSWORD_HASH');
    expect(operation.responses['413'].content['application/json'].examples.FAILED.value.errors[0].message).toContain('1048576');
  });

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
