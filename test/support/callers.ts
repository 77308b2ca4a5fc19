import { call, type CallOptions } from './request';
import type { Route } from './routes';
import { login, registerTenant, unregisteredTenant, type TestTenant } from './tenants';

export interface Caller {
  tenant: TestTenant;
  token?: string;
}

/** A registered tenant with a live session. */
export async function loggedIn(): Promise<Required<Caller>> {
  const tenant = await registerTenant();
  return { tenant, token: await login(tenant) };
}

/** Enough to reach the route's body handling: a fresh key (a server key where the route needs one), and a live session where the route needs one. */
export const callerFor = (route: Route): Promise<Caller> =>
  route.session ? loggedIn() : unregisteredTenant({ kind: route.server ? 'server' : undefined }).then((tenant) => ({ tenant }));

/** Sends `body` as it is to a route, as `caller` or as a fresh caller of its own. */
export async function sendTo(route: Route, body: unknown, options: Omit<CallOptions, 'method' | 'body'> & { caller?: Caller } = {}) {
  const { caller, ...rest } = options;
  const { tenant, token } = caller ?? (await callerFor(route));
  return call(route.path, { method: route.method, apiKey: tenant.apiKey, token: route.session ? token : null, body, ...rest });
}
