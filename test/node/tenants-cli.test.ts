import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sample from '../../examples/import-sample.json';
import { MAX_IMPORT_BODY_BYTES, MAX_IMPORT_TENANTS } from '../../src/config';
import { request, startLocalServer } from '../../scripts/lib/local-server.mjs';
import { importCalls, ROUTE_LIMITS, tenantsOfFile } from '../../scripts/lib/tenant-import';
import { wrangler } from '../../scripts/lib/wrangler.mjs';

// The passwords of examples/import-sample.json, as docs/migrating.md lists them.
const SAMPLE_PASSWORDS: Record<string, string> = {
  'alice.sample@example.com': 'Alice-sample-pass-1',
  'bob.sample@example.com': 'Bob-sample-pass-2',
  'carol.sample@example.com': 'Carol-sample-pass-3',
};
const SAMPLE: { tenants: { userName: string; passwordHash: string }[] } = sample;
const V3_HASH = SAMPLE.tenants[0].passwordHash;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `npm run tenants -- <args>` as an operator would; its exit code and output. */
function tenantsCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/tenants.mjs', ...args], { env: { ...process.env, ...env, STOREGISTER_KEY: env.STOREGISTER_KEY ?? '' } });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

describe('the import file and its calls', () => {
  it('should split at the limits of the route it calls', () => {
    expect(ROUTE_LIMITS).toEqual({ tenants: MAX_IMPORT_TENANTS, bodyBytes: MAX_IMPORT_BODY_BYTES });
  });

  it('should read { tenants: [...] } and a bare array, and refuse anything else with a reason', () => {
    expect(tenantsOfFile('{"tenants":[{"a":1}]}')).toEqual([{ a: 1 }]);
    expect(tenantsOfFile('\uFEFF[{"a":1},{"b":2}]')).toHaveLength(2);
    expect(() => tenantsOfFile('{"users":[]}')).toThrow(/tenants/);
    expect(() => tenantsOfFile('[]')).toThrow(/no tenants/);
    expect(() => tenantsOfFile('{')).toThrow(/not JSON/);
  });

  it('should split 2,500 entries into calls of 1,000 with their offsets in the file', () => {
    const tenants = Array.from({ length: 2500 }, (_, i) => ({ i }));

    const calls = importCalls(tenants);

    expect(calls.map((call) => [call.offset, call.tenants.length])).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 500],
    ]);
  });

  it('should start a new call before the body would pass the byte limit', () => {
    const tenants = Array.from({ length: 10 }, () => ({ padding: 'x'.repeat(100) }));

    const calls = importCalls(tenants, { maxBytes: 350 });

    expect(calls.map((call) => call.tenants.length)).toEqual([3, 3, 3, 1]);
    expect(calls.map((call) => call.offset)).toEqual([0, 3, 6, 9]);
  });
});

describe('npm run tenants -- import, against a local server', () => {
  let server: { base: string; apiKey: string; state: string; stop: () => void };
  let dir: string;

  beforeAll(async () => {
    server = await startLocalServer({ script: 'src/index.ts', port: Number(process.env.TENANTS_CLI_PORT) || (await freePort()) });
    dir = mkdtempSync(join(tmpdir(), 'tenants-cli-'));
  }, 180_000);

  afterAll(() => {
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const writeFile = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  it('should import a file of 1,203 tenants in two calls, report skips by file index, revoke its key, and import nothing again', async () => {
    const generated = Array.from({ length: 1200 }, (_, i) => ({
      userName: `cli-${i}-${crypto.randomUUID()}@example.com`,
      firstName: 'Cli',
      lastName: 'Imported',
      passwordHash: V3_HASH,
    }));
    generated[1100] = { ...generated[1100], passwordHash: 'not a hash' };
    generated[1150] = { ...generated[1150], userName: generated[3].userName };
    const file = writeFile('tenants.json', { tenants: [...SAMPLE.tenants, ...generated] });
    const report = join(dir, 'report.json');
    const options = ['--business', 'default', '--file', file, '--url', server.base, '--persist-to', server.state];

    const first = await tenantsCli(['import', ...options, '--report', report]);

    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('entries 0 to 999: ');
    expect(first.out).toContain('entries 1000 to 1202: ');
    expect(first.out).toContain('Imported 1201 of 1203 tenants; skipped 2.');
    expect(first.out).toMatch(/INVALID_PARAM_PASSWORD_HASH 1: entries 1103\b/);
    expect(first.out).toMatch(/USER_ALREADY_EXISTS 1: entries 1153\b/);
    expect(first.out).toMatch(/Revoked key /);
    expect(first.out).not.toContain(V3_HASH);
    const written = JSON.parse(readFileSync(report, 'utf8'));
    expect(written.imported).toHaveLength(1201);
    expect(written.imported[0]).toEqual({ index: 0, id: expect.any(String) });

    for (const [userName, password] of Object.entries(SAMPLE_PASSWORDS)) {
      const login = await request(server.base, '/v1/login', { method: 'POST', key: server.apiKey, body: { userName, password } });
      expect(login.status, userName).toBe(200);
    }

    const keys = JSON.parse(
      wrangler(['kv', 'key', 'list', '--binding', 'API_KEYS', '--local', '--persist-to', server.state], { capture: true }).stdout,
    ) as { metadata?: { name?: string; revokedAt?: string; kind?: string } }[];
    const made = keys.filter((key) => key.metadata?.name?.startsWith('tenants-import'));
    expect(made).toHaveLength(1);
    expect(made[0].metadata).toMatchObject({ kind: 'server', revokedAt: expect.any(String) });

    const again = await tenantsCli(['import', ...options]);

    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('Imported 0 of 1203 tenants; skipped 1203.');
  }, 180_000);

  it('should exit 1 and say so when the key is refused', async () => {
    const file = writeFile('one.json', [{ userName: `${crypto.randomUUID()}@example.com`, firstName: 'Pub', lastName: 'Key', passwordHash: V3_HASH }]);

    const refused = await tenantsCli(['import', '--business', 'default', '--file', file, '--url', server.base, '--key', server.apiKey]);

    expect(refused.code).toBe(1);
    expect(refused.out).toContain('HTTP 403 KEY_NOT_ALLOWED');
    expect(refused.out).toContain('Stopped at entry 0');
  }, 60_000);

  it('should exit 1 when nothing answers at the URL', async () => {
    const file = writeFile('unreachable.json', [{ userName: 'a@example.com', firstName: 'No', lastName: 'Server', passwordHash: V3_HASH }]);

    const unreachable = await tenantsCli(['import', '--business', 'default', '--file', file, '--url', `http://127.0.0.1:${await freePort()}`], {
      STOREGISTER_KEY: 'sk_not_used_anyway',
    });

    expect(unreachable.code).toBe(1);
    expect(unreachable.out).toContain('could not reach');
  }, 60_000);
});
