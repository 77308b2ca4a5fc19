import { stubOptions } from './location';
import type { ClientBudget } from './client-budget';
import type { TenantSessions } from './tenant-sessions';

// Business slugs hold no colon (BUSINESS_PATTERN), so no two (business, name) pairs share an object name.

/** The Durable Object holding one tenant's sessions, failed-attempt counters and stamp claims. */
export function tenantSessions(env: Env, business: string, tenantId: string): DurableObjectStub<TenantSessions> {
  const namespace = env.TENANT_SESSIONS as DurableObjectNamespace<TenantSessions>;
  return namespace.get(namespace.idFromName(`tenant:${business}:${tenantId}`), stubOptions(env));
}

/**
 * The instance counting failed logins, and holding the device tokens, of one user name of one
 * business, whether or not such a tenant exists.
 */
export function loginThrottle(env: Env, business: string, userName: string): DurableObjectStub<TenantSessions> {
  const namespace = env.TENANT_SESSIONS as DurableObjectNamespace<TenantSessions>;
  return namespace.get(namespace.idFromName(`login:${business}:${userName}`), stubOptions(env));
}

/** The budget of failed logins of one client (an address, a /64 or a /48) through one application key. */
export function clientBudget(env: Env, apiKeyId: string, client: string): DurableObjectStub<ClientBudget> {
  const namespace = env.CLIENT_BUDGETS as DurableObjectNamespace<ClientBudget>;
  return namespace.get(namespace.idFromName(`client-budget:${apiKeyId}:${client}`), stubOptions(env));
}
