import { env } from 'cloudflare:workers';
import { apiKeyStorageKey, DEFAULT_BUSINESS, newApiKeyRecord, type ApiKeyKind } from '../../src/auth/api-key-format';
import { sha256Hex } from '../../src/auth/encoding';
import { apiKeyText, changeBody, loginBody, strongPassword, uniqueEmail, unknownApiKey, unknownUserName, type ChangeBody } from './builders';
import { expectSuccess } from './envelope';
import { call, type CallOptions } from './request';
import { ROUTES } from './routes';
import { rememberSecret } from './secret-watch';

/**
 * Puts a fresh application key of `business` (default: the default business) and `kind` (default:
 * publishable) into KV the way the operator CLI does (value and metadata), and returns the raw key.
 */
export async function createApiKey(options: { revoked?: boolean; business?: string; kind?: ApiKeyKind } = {}): Promise<string> {
  const key = rememberSecret(apiKeyText());
  const hash = await sha256Hex(key);
  const record = newApiKeyRecord(hash, 'test', new Date(), options.business, options.kind);
  if (options.revoked) record.revokedAt = record.createdAt;
  await env.API_KEYS.put(apiKeyStorageKey(hash), JSON.stringify(record), { metadata: record });
  return key;
}

/** A business of its own, so that nothing another test does through its keys can reach it. */
export const uniqueBusiness = () => `test-${crypto.randomUUID()}`;

export interface TestTenant {
  id: string;
  /** The business of `apiKey`, which the tenant registered with. */
  business: string;
  userName: string;
  password: string;
  firstName: string;
  lastName: string;
  apiKey: string;
}

export interface LoginData {
  token: string;
  expiresAt: string;
  deviceToken: string;
  authContactBookInfo: { id: string; firstName: string; lastName: string; email: string; phoneNumber: string | null };
}

/** Options for a call made on a tenant's behalf: its key and token are filled in unless given. */
type AsTenant = Omit<CallOptions, 'method' | 'body'>;

/** Registers a tenant through the API; `business` and `apiKey` together name an existing key of that business. */
export async function registerTenant(overrides: Partial<Omit<TestTenant, 'id'>> = {}, options: { env?: Env } = {}): Promise<TestTenant> {
  const business = overrides.business ?? DEFAULT_BUSINESS;
  const apiKey = overrides.apiKey ?? (await createApiKey({ business }));
  const tenant = {
    userName: overrides.userName ?? uniqueEmail(),
    password: rememberSecret(overrides.password ?? strongPassword()),
    firstName: overrides.firstName ?? 'Jane',
    lastName: overrides.lastName ?? 'Doe',
  };
  const id = expectSuccess(await callRegister(tenant, { apiKey, env: options.env }), 201);
  return { ...tenant, id, business, apiKey };
}

/** A fresh key and a user name nobody registered: a tenant that exists only on the client side. */
export async function unregisteredTenant(options: { kind?: ApiKeyKind } = {}): Promise<TestTenant> {
  const business = DEFAULT_BUSINESS;
  const apiKey = await createApiKey({ kind: options.kind });
  return { id: '', business, userName: unknownUserName(), password: strongPassword(), firstName: 'Jane', lastName: 'Doe', apiKey };
}

export const callRegister = (body: unknown, options: AsTenant = {}) =>
  call<string>(ROUTES.register.path, { method: ROUTES.register.method, body, ...options });

export const callLogin = (body: unknown, options: AsTenant = {}) =>
  call<LoginData>(ROUTES.login.path, { method: ROUTES.login.method, body, ...options });

/** A login of the tenant with its own key, and its password unless another is given. */
export const loginReply = (tenant: TestTenant, options: AsTenant & { password?: string } = {}) => {
  const { password, ...rest } = options;
  return callLogin(loginBody(tenant, password), { apiKey: tenant.apiKey, ...rest });
};

/** Remembers the secrets a successful login answered, for the console watch; returns its data. */
export function rememberLogin(data: LoginData): LoginData {
  rememberSecret(data.token);
  rememberSecret(data.token.split('.')[2]);
  rememberSecret(data.deviceToken);
  rememberSecret(data.deviceToken.split('.')[1]);
  return data;
}

/** Logs the tenant in and returns the session token. */
export async function login(tenant: TestTenant, password = tenant.password): Promise<string> {
  return rememberLogin(expectSuccess(await loginReply(tenant, { password }))).token;
}

/** Logs the tenant in, presenting `deviceToken` if given, and returns the session and device tokens. */
export async function loginWithDevice(tenant: TestTenant, deviceToken?: string): Promise<{ token: string; deviceToken: string }> {
  const headers = deviceToken ? { 'X-Device-Token': deviceToken } : undefined;
  return rememberLogin(expectSuccess(await loginReply(tenant, { headers })));
}

export const logoutReply = (tenant: TestTenant, token: string | null, options: AsTenant = {}) =>
  call<null>(ROUTES.logout.path, { method: ROUTES.logout.method, apiKey: tenant.apiKey, token, ...options });

export const stampReply = (tenant: TestTenant, token: string | null, options: AsTenant = {}) =>
  call<string>(ROUTES.stamp.path, { method: ROUTES.stamp.method, apiKey: tenant.apiKey, token, ...options });

export async function requestStamp(tenant: TestTenant, token: string): Promise<string> {
  return expectSuccess(await stampReply(tenant, token));
}

export const changePassword = (tenant: TestTenant, token: string | null, body: ChangeBody, options: AsTenant = {}) =>
  call<string>(ROUTES.change.path, { method: ROUTES.change.method, apiKey: tenant.apiKey, token, body, ...options });

/** A tenant who is logged in and holds a fresh stamp. */
export async function tenantReadyToChange() {
  const tenant = await registerTenant();
  const token = await login(tenant);
  const stamp = await requestStamp(tenant, token);
  return { tenant, token, stamp, body: (overrides: ChangeBody = {}) => changeBody(tenant.password, stamp, overrides) };
}

/** The keys that must be refused: none, one nobody issued, and a revoked one. */
export const REFUSED_API_KEYS: { case: string; key: () => Promise<string | null> }[] = [
  { case: 'without X-API-Key', key: async () => null },
  { case: 'with an unknown X-API-Key', key: async () => unknownApiKey() },
  { case: 'with a revoked X-API-Key', key: () => createApiKey({ revoked: true }) },
];
