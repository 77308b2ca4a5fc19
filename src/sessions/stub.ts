import type { TenantSessions } from './tenant-sessions';

/** The Durable Object holding one tenant's sessions and failed-attempt counter. */
export function tenantSessions(env: Env, tenantId: string): DurableObjectStub<TenantSessions> {
  const namespace = env.TENANT_SESSIONS as DurableObjectNamespace<TenantSessions>;
  return namespace.get(namespace.idFromName(`tenant:${tenantId}`));
}

/** The instance counting failed logins for one user name, whether or not such a tenant exists. */
export function loginThrottle(env: Env, userName: string): DurableObjectStub<TenantSessions> {
  const namespace = env.TENANT_SESSIONS as DurableObjectNamespace<TenantSessions>;
  return namespace.get(namespace.idFromName(`login:${userName}`));
}
