import { changeBody, freshPassphrase, madeUpResetToken, randomStamp, registerBody, uniqueEmail, wrongPassword } from './builders';
import { IMPORTED_HASH } from './imported-hash';

export type RouteName =
  | 'register'
  | 'login'
  | 'logout'
  | 'stamp'
  | 'change'
  | 'import'
  | 'session'
  | 'adminFind'
  | 'adminDisable'
  | 'adminEnable'
  | 'adminSignOut'
  | 'adminUnlock'
  | 'adminDelete'
  | 'issueReset'
  | 'reset';

export interface Route {
  name: RouteName;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As the OpenAPI document names it: `{tenantId}` stands for a tenant id (see `adminPath`). */
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
  session: { name: 'session', method: 'GET', path: '/v1/session', session: true },
  adminFind: { name: 'adminFind', method: 'GET', path: '/v1/admin/tenants', session: false, server: true },
  adminDisable: { name: 'adminDisable', method: 'POST', path: '/v1/admin/tenants/{tenantId}/disable', session: false, server: true },
  adminEnable: { name: 'adminEnable', method: 'POST', path: '/v1/admin/tenants/{tenantId}/enable', session: false, server: true },
  adminSignOut: { name: 'adminSignOut', method: 'POST', path: '/v1/admin/tenants/{tenantId}/sign-out', session: false, server: true },
  adminUnlock: { name: 'adminUnlock', method: 'POST', path: '/v1/admin/tenants/{tenantId}/unlock', session: false, server: true },
  adminDelete: { name: 'adminDelete', method: 'DELETE', path: '/v1/admin/tenants/{tenantId}', session: false, server: true },
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

/** The routes about one tenant (by id, or by user name for the look-up); import has its own tests. */
export const ADMIN_ROUTES = Object.values(ROUTES).filter((route) => route.server && route.name !== 'import');

/** The path of an admin route for one tenant (its id), or for the look-up by user name. */
export const adminPath = (route: Route, tenant: { id: string; userName: string }) =>
  route.path.includes('{tenantId}')
    ? route.path.replace('{tenantId}', tenant.id)
    : `${route.path}?userName=${encodeURIComponent(tenant.userName)}`;

export const ALL_ROUTES: Route[] = Object.values(ROUTES);
export const BODY_ROUTES = ALL_ROUTES.filter((route) => route.validBody);
export const SESSION_ROUTES = ALL_ROUTES.filter((route) => route.session);

/** The security schemes the OpenAPI document must name for a route. */
export const securityOf = (route: Route) => (route.session ? ['ApiKey', 'Token'] : ['ApiKey']);

export const WELL_KNOWN_CHANGE_PASSWORD = '/.well-known/change-password';
