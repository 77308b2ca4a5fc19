import type { Context, MiddlewareHandler } from 'hono';
import { spendRegistration } from './auth/registration-limit';
import { tokenSignerFrom } from './auth/token-signing';
import { NETWORK_BUDGET_FACTOR, pepperFrom, readReplicationFrom, settingsFrom } from './config';
import { openDatabase, openNearestCopy } from './db/database';
import { enqueueCommitted } from './events/publish';
import type { AppEnv } from './http/context';
import { logEvent } from './logging';
import { requestClient } from './http/client';
import { clientBudget, loginThrottle, tenantSessions } from './sessions/stub';
import type { Deps } from './tenants/deps';

/** The composition root: what a workflow is given, from this request's bindings, settings, id and log. */
function depsFrom(c: Context<AppEnv>): Deps {
  const business = c.get('business');
  const settings = settingsFrom(c.env);
  const log: Deps['log'] = (level, event, fields) => logEvent(c, level, event, fields);
  return {
    db: openDatabase(c.env.DB),
    replicaDb: readReplicationFrom(c.env) ? openNearestCopy(c.env.DB) : undefined,
    business,
    sessionsOf: (tenantId) => tenantSessions(c.env, business, tenantId),
    loginThrottleOf: (userName) => loginThrottle(c.env, business, userName),
    loginBudgets: () => {
      const { client, network } = requestClient(c);
      const limit = settings.loginFailuresPerMinute;
      const budgets = [{ stub: clientBudget(c.env, c.get('apiKeyId'), client), limit }];
      if (network) budgets.push({ stub: clientBudget(c.env, c.get('apiKeyId'), network), limit: limit * NETWORK_BUDGET_FACTOR });
      return budgets;
    },
    spendRegistration: () =>
      spendRegistration(c.env.REGISTRATIONS, { apiKeyId: c.get('apiKeyId'), client: requestClient(c).client }, log),
    tokens: tokenSignerFrom(c.env),
    settings,
    pepper: pepperFrom(c.env),
    requestId: c.get('requestId'),
    log,
    sendEvent: (event) => c.executionCtx.waitUntil(enqueueCommitted(c.env, event)),
  };
}

/** Lets the routes reach `depsFrom` through the context (`depsOf`) without importing the layer that wires everything. */
export function provideDeps(): MiddlewareHandler<AppEnv> {
  return async function wireDeps(c, next) {
    c.set('deps', () => depsFrom(c));
    await next();
  };
}
