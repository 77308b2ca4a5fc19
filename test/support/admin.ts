import { registerEndpoint, receiverUrl } from './webhooks';
import { call, type CallOptions } from './request';
import { ROUTES, adminPath, type Route } from './routes';
import { createApiKey, registerTenant, uniqueBusiness, type TestTenant } from './tenants';

/** A tenant of a business of its own, with a webhook endpoint (so events are owed), and a server key of that business. */
export async function administeredTenant(options: { endpoint?: boolean } = {}) {
  const business = uniqueBusiness();
  if (options.endpoint !== false) await registerEndpoint(business, receiverUrl());
  const tenant = await registerTenant({ business, apiKey: await createApiKey({ business }) });
  const serverKey = await createApiKey({ business, kind: 'server' });
  return { business, tenant, serverKey };
}

/** Calls an admin route about `tenant` (its id, or its user name for the look-up) with `apiKey`. */
export const adminCall = <T = unknown>(route: Route, tenant: Pick<TestTenant, 'id' | 'userName'>, apiKey: string | null, options: Omit<CallOptions, 'method' | 'apiKey'> = {}) =>
  call<T>(adminPath(route, tenant), { method: route.method, apiKey, ...options });

export const disableTenant = (tenant: Pick<TestTenant, 'id' | 'userName'>, key: string, options: Omit<CallOptions, 'method' | 'apiKey'> = {}) =>
  adminCall<string>(ROUTES.adminDisable, tenant, key, options);
export const enableTenant = (tenant: Pick<TestTenant, 'id' | 'userName'>, key: string, options: Omit<CallOptions, 'method' | 'apiKey'> = {}) =>
  adminCall<string>(ROUTES.adminEnable, tenant, key, options);
export const deleteTenant = (tenant: Pick<TestTenant, 'id' | 'userName'>, key: string, options: Omit<CallOptions, 'method' | 'apiKey'> = {}) =>
  adminCall<string>(ROUTES.adminDelete, tenant, key, options);

export const sessionReply = (apiKey: string, token: string | null, options: Omit<CallOptions, 'method' | 'apiKey' | 'token'> = {}) =>
  call<{ tenantId: string; expiresAt: string; idleExpiresAt: string }>(ROUTES.session.path, { apiKey, token, ...options });
