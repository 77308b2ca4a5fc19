import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { MAX_IMPORT_BODY_BYTES, MAX_IMPORT_TENANTS } from '../config';
import { depsOf, type AppEnv } from '../http/context';
import { successEnvelope } from '../errors';
import { bodyRejections, errorResponses, jsonContent, jsonRequest } from '../http/openapi';
import { secured } from '../http/secured';
import { jsonBody, throwOnInvalid, validateEach } from '../http/validate';
import { envelopeOf, EXAMPLE_TENANT_ID, ImportBody, ImportResult, ImportTenant } from '../schemas';
import { importTenants } from '../tenants/import';

const importRoute = createRoute({
  method: 'post',
  path: '/v1/admin/tenants/import',
  operationId: 'importTenants',
  tags: ['Tenant administration'],
  summary: 'Import existing tenants with their password hashes',
  description:
    `Creates up to ${MAX_IMPORT_TENANTS} tenants of the key's business in one call, each with the password hash it ` +
    'had elsewhere (ASP.NET Core Identity V3, or this service\'s own format); no password is derived now: the first ' +
    'login verifies the hash and replaces it with this service\'s own. Each entry is validated like a registration ' +
    '(except the password) and on its own: a malformed one is skipped with its INVALID_PARAM_<FIELD> code, a user ' +
    'name the business already has (or an earlier entry has) with USER_ALREADY_EXISTS, and the others are imported. ' +
    'So importing the same list again imports nothing. The call is one transaction: on a 500 nothing was imported ' +
    `and the same call can be repeated. The body may be up to ${MAX_IMPORT_BODY_BYTES} bytes (every other route: ` +
    '16 KiB). Needs a server key: a publishable key gets 403 KEY_NOT_ALLOWED. Always 200 when the call was ' +
    'processed, whether or not anything was imported: `data` says what happened to each entry.',
  ...secured('server', jsonBody(MAX_IMPORT_BODY_BYTES)),
  request: jsonRequest(ImportBody),
  responses: {
    200: jsonContent(
      envelopeOf(ImportResult, 'ImportResponse', {
        imported: [{ index: 0, id: EXAMPLE_TENANT_ID }],
        skipped: [{ index: 1, code: 'USER_ALREADY_EXISTS', message: 'userName is taken in this business' }],
      }),
      'Processed: data.imported lists the tenants created, data.skipped the entries not imported and why.',
    ),
    ...errorResponses(['INVALID_PARAM_TENANTS', 'FAILED', 'UNAUTHORIZED', 'KEY_NOT_ALLOWED', 'SOMETHING_WENT_WRONG']),
    ...bodyRejections(MAX_IMPORT_BODY_BYTES),
  },
});

/** Tenant administration: the import of existing tenants (API.md, "Tenant administration"). */
export const adminImportRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid }).openapi(importRoute, async (c) => {
  const entries = validateEach(ImportTenant, 'tenants', c.req.valid('json').tenants);
  return c.json(successEnvelope(await importTenants(depsOf(c), entries)), 200);
});

// Entries are validated one by one (validateEach), so the body's schema only refers to this one by name.
adminImportRoutes.openAPIRegistry.register('ImportTenant', ImportTenant);
