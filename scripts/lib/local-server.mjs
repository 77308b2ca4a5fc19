// Shared by the benchmark, the load run, the walkthrough runner and the browser tests: a wrangler dev
// server on loopback over a throwaway local store, an application key in it, and a small timed HTTP client.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newApiKey, putApiKeyRecord } from './api-keys.mjs';
import { WRANGLER_BIN, wrangler } from './wrangler.mjs';

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Signs the session and device tokens of local servers and of the test suite. A deployment has no
 * such default: it needs its own secret (`npx wrangler secret put TOKEN_SIGNING_KEY`, docs/deploying.md).
 */
export const DEV_TOKEN_SIGNING_KEY = 'development-only-token-signing-key-never-deploy-this';

/** What a local server sets beyond wrangler.toml: webhooks may go to a receiver on 127.0.0.1, and tokens are signed with the development key. */
export const LOCAL_VARS = ['--var', 'WEBHOOK_ALLOW_LOOPBACK:true', '--var', `TOKEN_SIGNING_KEY:${DEV_TOKEN_SIGNING_KEY}`];

/**
 * A folder in memory (Linux's /dev/shm) where there is one, else the temporary folder. The benchmark
 * keeps its throwaway store there, so that its figures measure the worker's work and not how long
 * this machine's disk takes to flush each SQLite commit.
 */
export const memoryFolder = () => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/**
 * Starts `script` (a worker entry) on 127.0.0.1:`port`, its store in a new folder under `storeIn`;
 * returns its base URL, a fresh key (of `keyKind`, publishable unless given), the folder of its
 * store (for the CLIs' --persist-to) and stop(). `projectDir` serves another checkout of the project
 * (its wrangler.toml and sources). `seed`, given the store's folder once it is migrated and before
 * the server opens it, may write into it.
 */
export async function startLocalServer({ script, port, storeIn = tmpdir(), projectDir, seed, keyKind }) {
  const state = mkdtempSync(join(storeIn, 'storegister-'));
  const base = `http://127.0.0.1:${port}`;
  const store = ['--persist-to', state, ...(projectDir ? ['--cwd', projectDir] : [])];
  const local = ['--local', ...store];
  check(wrangler(['d1', 'migrations', 'apply', 'DB', ...local], { capture: true }).status === 0, 'migrations failed');

  const { key: apiKey, storageKey, record } = newApiKey('local-run', undefined, keyKind);
  check(putApiKeyRecord(storageKey, record, local) === 0, 'could not store the key');
  await seed?.(state);

  const child = spawn(
    process.execPath,
    [WRANGLER_BIN, 'dev', script, '--ip', '127.0.0.1', '--port', String(port), ...store, '--log-level', 'error', ...LOCAL_VARS],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(state, { recursive: true, force: true });
  };
  for (let i = 0; i < 120; i++) {
    try {
      await fetch(`${base}/openapi.json`);
      return { base, apiKey, state, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  stop();
  throw new Error('wrangler dev did not start');
}

/** One JSON request; returns its duration in milliseconds, status, headers and parsed body. */
export async function request(base, path, { method = 'GET', key, token, body, headers: extra } = {}) {
  const headers = { ...extra };
  if (key) headers['X-API-Key'] = key;
  if (token) headers['X-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const ms = performance.now() - started;
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // left null: the caller counts it as a malformed answer
  }
  return { ms, status: response.status, headers: response.headers, json };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** A random address of TEST-NET-2 (RFC 5737), as a portal names one of its end users in X-Client-Address. */
export const endUserAddress = () => `198.51.100.${1 + Math.floor(Math.random() * 254)}`;
