import type { SprayBudget } from '../auth/login-spraying';
import type { TokenSigner } from '../auth/token-signing';
import type { Peppers, Settings } from '../config';
import type { EventMessage } from '../security-events';
import type { Log } from '../logging';
import type { TenantSessions } from '../sessions/tenant-sessions';
import type { Database } from '../db/database';

/** What the tenant workflows are given, so that none of them reaches into the request's context. */
export interface Deps {
  /** D1's primary: every write, and every read whose answer must be the latest. */
  db: Database;
  /** The nearest read replica of D1, when read replication is on; it may lag behind `db`. */
  replicaDb?: Database;
  /** The business of the request's key; every tenant a workflow reads or writes is of this business. */
  business: string;
  /** The Durable Object of one tenant of the business: its sessions, failed-attempt counters and stamp claims. */
  sessionsOf(tenantId: string): DurableObjectStub<TenantSessions>;
  /** The Durable Object counting failed logins and holding device tokens for one user name of the business, whether or not such a tenant exists. */
  loginThrottleOf(userName: string): DurableObjectStub<TenantSessions>;
  /**
   * The key and client's budgets of failed logins (auth/login-spraying.ts): the client's, and its
   * IPv6 /48's. Throws FAILED when a server key names a malformed X-Client-Address.
   */
  loginBudgets(): SprayBudget[];
  /** Spends one registration of the key and client's budget (auth/registration-limit.ts), or throws TOO_MANY_ATTEMPTS or FAILED. */
  spendRegistration(): Promise<void>;
  /** Signs and verifies session and device tokens under the deployment's TOKEN_SIGNING_KEY. */
  tokens: TokenSigner;
  settings: Settings;
  pepper: Peppers;
  requestId: string;
  log: Log;
  /** Hands a committed event to the EVENTS queue after the response; the outbox sweep covers a failure. */
  sendEvent(event: EventMessage): void;
}
