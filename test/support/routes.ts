import { changeBody, freshPassphrase, madeUpResetToken, randomStamp, registerBody, uniqueEmail, wrongPassword } from './builders';
import { IMPORTED_HASH } from './imported-hash';

export type RouteName = 'register' | 'login' | 'logout' | 'stamp' | 'change' | 'import' | 'issueReset' | 'reset';

export interface Route {
  name: RouteName;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** Needs X-Token besides X-API-Key. */
  session: boolean;
  /** Needs a server key (tenant administration): callers of these tests get one. */
  server?: boolean;
  /** The route's body limit when it is not the 16 KiB of every other route. */
  maxBodyBytes?: number;
  /** A body that passes validation, for the routes that read one. */
  validBody?: (tenant: { userName: string; password: string }) => Record<string, unknown>;
}

/** The contract's routes: the one list every test of "each route" walks. */
export const ROUTES: Record<RouteName, Route> = {
  register: {
    name: 'register',
    method: 'POST',
    path: '/v1/register',
    session: false,
    validBody: () => registerBody({ phoneNumber: '+15551234567' }),
  },
  login: {
    name: 'login',
    method: 'POST',
    path: '/v1/login',
    session: false,
    validBody: (tenant) => ({ userName: tenant.userName, password: wrongPassword() }),
  },
  logout: { name: 'logout', method: 'POST', path: '/v1/logout', session: true },
  stamp: { name: 'stamp', method: 'GET', path: '/v1/tenant/profile/change-password/request', session: true },
  change: {
    name: 'change',
    method: 'PUT',
    path: '/v1/tenant/profile/change-password',
    session: true,
    validBody: (tenant) => changeBody(tenant.password, randomStamp()),
  },
  import: {
    name: 'import',
    method: 'POST',
    path: '/v1/admin/tenants/import',
    session: false,
    server: true,
    maxBodyBytes: 1024 * 1024,
    validBody: () => ({ tenants: [{ userName: uniqueEmail(), firstName: 'Ima', lastName: 'Ported', passwordHash: IMPORTED_HASH }] }),
  },
  // As the document keys it; a call to the path as written names no tenant and answers 404.
  issueReset: { name: 'issueReset', method: 'POST', path: '/v1/admin/tenants/{tenantId}/password-reset', session: false, server: true },
  reset: {
    name: 'reset',
    method: 'POST',
    path: '/v1/password-reset',
    session: false,
    validBody: () => ({ resetToken: madeUpResetToken(), newPassword: freshPassphrase() }),
  },
};

export const ALL_ROUTES: Route[] = Object.values(ROUTES);
export const BODY_ROUTES = ALL_ROUTES.filter((route) => route.validBody);
export const SESSION_ROUTES = ALL_ROUTES.filter((route) => route.session);

/** The security schemes the OpenAPI document must name for a route. */
export const securityOf = (route: Route) => (route.session ? ['ApiKey', 'Token'] : ['ApiKey']);

export const WELL_KNOWN_CHANGE_PASSWORD = '/.well-known/change-password';
