import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { app } from '../../src/app';

type Operation = { operationId?: string; tags?: string[] };
interface Document {
  info: { version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function openApiDocument(): Promise<Document> {
  const response = await app.request('/openapi.json');
  return (await response.json()) as Document;
}

function operationsOf(doc: Document): [string, Operation][] {
  return [...Object.entries(doc.paths), ...Object.entries(doc.webhooks ?? {})].flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

/** Type-checks the files as a project of their own would; returns tsc's messages. */
function typeCheck(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    lib: ['lib.es2022.d.ts'],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const workDir = mkdtempSync(join(tmpdir(), 'openapi-sdk-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('the OpenAPI document, for SDK generators', () => {
  it('should name every operation with a unique operationId', async () => {
    const operations = operationsOf(await openApiDocument());
    const missing = operations.filter(([, operation]) => !operation.operationId).map(([name]) => name);
    const ids = operations.map(([, operation]) => operation.operationId);

    expect(missing).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('should use the names a client would call', async () => {
    const ids = Object.fromEntries(operationsOf(await openApiDocument()).map(([name, operation]) => [name, operation.operationId]));

    expect(ids).toMatchObject({
      'POST /v1/register': 'register',
      'POST /v1/login': 'login',
      'POST /v1/logout': 'logout',
      'GET /v1/tenant/profile/change-password/request': 'getConcurrencyStamp',
      'PUT /v1/tenant/profile/change-password': 'changePassword',
      'GET /healthz': 'getHealth',
    });
  });

  it('should carry the package version, the contract version, servers and a described tag for each one used', async () => {
    const doc = await openApiDocument();

    expect(doc.info.version).toBe(pkg.version);
    expect(doc.info.description).toContain('version 1.3 of the StoRegister tenant API contract');
    expect(doc.servers.map((server) => server.url)).toEqual(['http://127.0.0.1:8787', 'https://{host}']);
    const used = new Set(operationsOf(doc).flatMap(([, operation]) => operation.tags ?? []));
    expect([...used].sort()).toEqual(doc.tags.map((tag) => tag.name).sort());
  });

  it('should generate TypeScript with openapi-typescript that a consumer type-checks against', async () => {
    const generated = astToString(await openapiTS((await openApiDocument()) as never));
    writeFileSync(join(workDir, 'api.ts'), generated);
    writeFileSync(
      join(workDir, 'consumer.ts'),
      `import type { operations } from './api';
type Json<O, S extends number> = O extends { responses: { [K in S]: { content: { 'application/json': infer B } } } } ? B : never;
const login: operations['login']['requestBody'] = { content: { 'application/json': { userName: 'a@example.com', password: 'x' } } };
const token: Json<operations['login'], 200>['data']['token'] = 'tenant.session.secret';
const stamp: Json<operations['getConcurrencyStamp'], 200>['data'] = 'A55C13AC-FDCC-45B0-8BE5-138DBA9902E4';
const refused: Json<operations['changePassword'], 401>['status'] = 'UNAUTHORIZED';
const health: Json<operations['getHealth'], 200> = { status: 'ok', version: '1.0.0' };
export const used = [login, token, stamp, refused, health];
`,
    );

    expect(typeCheck([join(workDir, 'consumer.ts')])).toEqual([]);
  });

  it('should have a type check that fails a consumer misusing the generated types', async () => {
    writeFileSync(join(workDir, 'api.ts'), astToString(await openapiTS((await openApiDocument()) as never)));
    writeFileSync(
      join(workDir, 'wrong.ts'),
      `import type { operations } from './api';
export const login: operations['login']['requestBody'] = { content: { 'application/json': { userName: 'a@example.com' } } };
`,
    );

    expect(typeCheck([join(workDir, 'wrong.ts')]).length).toBeGreaterThan(0);
  });
});
