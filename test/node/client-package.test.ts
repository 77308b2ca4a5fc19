import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { app } from '../../src/app';

const PACKAGE_DIR = resolve('packages/client');
const NAME = '@storegister/tenant-api-client';

/** A project of its own that has installed the built package (a symlink, as `npm install <path>` makes). */
const consumerDir = mkdtempSync(join(tmpdir(), 'client-consumer-'));

function typeCheck(file: string, source: string): string[] {
  const path = join(consumerDir, file);
  writeFileSync(path, source);
  const program = ts.createProgram([path], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

beforeAll(() => {
  const built = spawnSync(process.execPath, ['scripts/build-client.mjs'], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  mkdirSync(join(consumerDir, 'node_modules/@storegister'), { recursive: true });
  symlinkSync(PACKAGE_DIR, join(consumerDir, 'node_modules', NAME), 'dir');
}, 120_000);
afterAll(() => rmSync(consumerDir, { recursive: true, force: true }));

describe('the client package (packages/client)', () => {
  it('should type-check a portal that uses it, without this repository\'s sources', () => {
    const errors = typeCheck(
      'portal.ts',
      `import { createTenantApiClient } from '${NAME}';
const api = createTenantApiClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: 'srk_example' });
export async function changePassword(userName: string, password: string, newPassword: string): Promise<string> {
  const login = await api.POST('/v1/login', { body: { userName, password } });
  if (!login.data) throw new Error(login.error?.errors?.[0]?.message ?? 'login failed');
  const session = { headers: { 'X-Token': login.data.data.token } };
  const stamp = await api.GET('/v1/tenant/profile/change-password/request', session);
  if (!stamp.data) throw new Error('no stamp');
  const changed = await api.PUT('/v1/tenant/profile/change-password', {
    ...session,
    body: { existingPassword: password, newPassword, concurrencyStamp: stamp.data.data },
  });
  if (!changed.data) throw new Error(changed.error?.status ?? 'change failed');
  return changed.data.data;
}
`,
    );

    expect(errors).toEqual([]);
  });

  it('should make the type check refuse a call the API does not take', () => {
    const errors = typeCheck(
      'wrong.ts',
      `import { createTenantApiClient } from '${NAME}';
const api = createTenantApiClient({ baseUrl: 'http://127.0.0.1:8787', apiKey: 'srk_example' });
export const wrong = api.POST('/v1/login', { body: { userName: 'a@example.com' } });
`,
    );

    expect(errors.length).toBeGreaterThan(0);
  });

  it('should carry the service version and answer through its built JavaScript', async () => {
    const { createTenantApiClient } = await import(pathToFileURL(join(PACKAGE_DIR, 'dist/index.js')).href);
    const api = createTenantApiClient({ baseUrl: 'http://api.test', apiKey: '', fetch: (request: Request) => app.fetch(request, {} as Env) });

    const health = await api.GET('/healthz');
    const refused = await api.GET('/v1/tenant/profile/change-password/request', { headers: { 'X-Token': 'none' } });

    expect(health.data).toEqual({ status: 'ok', version: pkg.version });
    expect(refused.response.status).toBe(401);
    expect(refused.error.status).toBe('UNAUTHORIZED');
    expect((await import('../../packages/client/package.json')).version).toBe(pkg.version);
  });
});
