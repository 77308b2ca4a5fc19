import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import worker from '../src/index';
import { apiKeyIdFromHash, apiKeyStorageKey, type ApiKeyRecord } from '../src/auth/api-key';
import { sha256Hex } from '../src/auth/encoding';
import { recordFailure } from './documented-errors';
import { rememberSecret } from './secret-watch';

export interface CallOptions {
  method?: string;
  /** Serialized as JSON unless it is already a string. */
  body?: unknown;
  apiKey?: string | null;
  token?: string | null;
  headers?: Record<string, string>;
  /** Bindings to use instead of the real ones, to inject faults. */
  env?: Env;
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data: T;
    succeeded: boolean;
    status: string;
    errors: { code: string; message: string; field?: string }[] | null;
  };
}

/** Sends a request through the worker's real entry and waits for its background work. */
export async function call<T = unknown>(path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers = new Headers(options.headers);
  if (options.apiKey) headers.set('X-API-Key', options.apiKey);
  if (options.token) headers.set('X-Token', options.token);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://api.test${path}`, { method: options.method ?? 'GET', headers, body }),
    options.env ?? env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  const envelope = JSON.parse(text);
  recordFailure(options.method ?? 'GET', path, response.status, envelope?.status);
  return { status: response.status, headers: response.headers, text, body: envelope };
}

/** Asserts the failure envelope of the contract and returns its first error. */
export function expectFailure(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, code: reply.body.status }).toEqual({ status, code });
  expect(reply.body.data).toBeNull();
  expect(reply.body.succeeded).toBe(false);
  expect(reply.body.errors?.[0]?.code).toBe(code);
  expect(reply.headers.get('Content-Type')).toMatch(/^application\/json/);
  return reply.body.errors![0];
}

export function expectSuccess<T>(reply: Reply<T>, status = 200): T {
  expect(reply.body.errors, reply.text).toBeNull();
  expect(reply.status).toBe(status);
  expect(reply.body.succeeded).toBe(true);
  expect(reply.body.status).toBe('SUCCESS');
  return reply.body.data;
}

export const uniqueEmail = () => `tenant-${crypto.randomUUID()}@example.com`;

/** Puts a fresh application key into KV the way the operator CLI does, and returns the raw key. */
export async function createApiKey(options: { revoked?: boolean } = {}): Promise<string> {
  const key = rememberSecret(`srk_${crypto.randomUUID().replaceAll('-', '')}`);
  const hash = await sha256Hex(key);
  const record: ApiKeyRecord = {
    id: apiKeyIdFromHash(hash),
    name: 'test',
    createdAt: new Date().toISOString(),
    revokedAt: options.revoked ? new Date().toISOString() : null,
  };
  await env.API_KEYS.put(apiKeyStorageKey(hash), JSON.stringify(record));
  return key;
}

export interface TestTenant {
  id: string;
  userName: string;
  password: string;
  firstName: string;
  lastName: string;
  apiKey: string;
}

export async function registerTenant(overrides: Partial<Omit<TestTenant, 'id'>> = {}): Promise<TestTenant> {
  const apiKey = overrides.apiKey ?? (await createApiKey());
  const tenant = {
    userName: overrides.userName ?? uniqueEmail(),
    password: rememberSecret(overrides.password ?? `Pw-${crypto.randomUUID()}`),
    firstName: overrides.firstName ?? 'Jane',
    lastName: overrides.lastName ?? 'Doe',
  };
  const reply = await call<string>('/v1/register', { method: 'POST', apiKey, body: tenant });
  const id = expectSuccess(reply, 201);
  return { ...tenant, id, apiKey };
}

export async function login(tenant: TestTenant, password = tenant.password): Promise<string> {
  const reply = await call<{ token: string }>('/v1/login', {
    method: 'POST',
    apiKey: tenant.apiKey,
    body: { userName: tenant.userName, password },
  });
  const token = rememberSecret(expectSuccess(reply).token);
  rememberSecret(token.split('.')[2]);
  return token;
}

export async function requestStamp(tenant: TestTenant, token: string): Promise<string> {
  const reply = await call<string>('/v1/tenant/profile/change-password/request', { apiKey: tenant.apiKey, token });
  return expectSuccess(reply);
}

export function changePassword(
  tenant: TestTenant,
  token: string,
  body: { existingPassword?: unknown; newPassword?: unknown; concurrencyStamp?: unknown },
  options: Omit<CallOptions, 'body' | 'token' | 'method'> = {},
) {
  return call<string>('/v1/tenant/profile/change-password', {
    method: 'PUT',
    apiKey: tenant.apiKey,
    token,
    body,
    ...options,
  });
}

/** A tenant who is logged in and holds a fresh stamp. */
export async function tenantReadyToChange() {
  const tenant = await registerTenant();
  const token = await login(tenant);
  const stamp = await requestStamp(tenant, token);
  return { tenant, token, stamp };
}

export const newPasswordFor = () => rememberSecret(`a fresh passphrase ${crypto.randomUUID()}`);
