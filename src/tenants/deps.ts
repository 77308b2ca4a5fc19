import type { Settings } from '../config';
import type { Log } from '../logging';
import type { TenantSessions } from '../sessions/tenant-sessions';
import type { Database } from './repository';

/** What the tenant workflows are given, so that none of them reaches into the request's context. */
export interface Deps {
  db: Database;
  /** The Durable Object of one tenant: its sessions, failed-attempt counter and stamp claims. */
  sessionsOf(tenantId: string): DurableObjectStub<TenantSessions>;
  /** The Durable Object counting failed logins for one user name, whether or not such a tenant exists. */
  loginThrottleOf(userName: string): DurableObjectStub<TenantSessions>;
  settings: Settings;
  pepper: string | undefined;
  requestId: string;
  log: Log;
}
