import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { tenantSessions } from '../../src/sessions/stub';
import { expectSuccess } from './envelope';
import { call, type CallOptions } from './request';
import { ROUTES } from './routes';
import { rememberSecret } from './secret-watch';
import { createApiKey, type TestTenant } from './tenants';

type Options = Omit<CallOptions, 'method' | 'body'>;

export interface IssuedReset {
  resetToken: string;
  expiresAt: string;
}

export const issueResetPath = (tenantId: string) => ROUTES.issueReset.path.replace('{tenantId}', encodeURIComponent(tenantId));

/** A server key of the tenant's business. */
export const serverKeyOf = (tenant: Pick<TestTenant, 'business'>) => createApiKey({ business: tenant.business, kind: 'server' });

/** POST /v1/admin/tenants/{tenantId}/password-reset with `apiKey`. */
export const issueResetReply = (tenantId: string, apiKey: string | null, options: Options = {}) =>
  call<IssuedReset>(issueResetPath(tenantId), { method: 'POST', apiKey, ...options });

/** Issues a reset token for the tenant through a fresh server key of its business; remembers it for the console watch. */
export async function issueReset(tenant: TestTenant, options: Options = {}): Promise<IssuedReset> {
  const issued = expectSuccess(await issueResetReply(tenant.id, await serverKeyOf(tenant), options), 201);
  rememberSecret(issued.resetToken);
  rememberSecret(issued.resetToken.split('.')[2]);
  return issued;
}

/** POST /v1/password-reset through `apiKey`. */
export const completeResetReply = (apiKey: string | null, body: unknown, options: Options = {}) =>
  call<string>(ROUTES.reset.path, { method: 'POST', apiKey, body, ...options });

/** The tenant's object, to look at or age its reset token (time is moved by rewriting the object's own timestamps). */
export const sessionsOf = (tenant: Pick<TestTenant, 'business' | 'id'>) => tenantSessions(env, tenant.business, tenant.id);

export function inObject<T>(tenant: Pick<TestTenant, 'business' | 'id'>, sql: string): Promise<T[]> {
  return runInDurableObject(sessionsOf(tenant), (_instance, state) => state.storage.sql.exec(sql).toArray() as T[]);
}

/** A different client address for each call, so that one test's budget is its own. */
export const clientAddress = () => `198.51.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
export const from = (address: string) => ({ headers: { 'CF-Connecting-IP': address } });
