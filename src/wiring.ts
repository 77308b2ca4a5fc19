import type { Context, MiddlewareHandler } from 'hono';
import { clientAddress } from './auth/client-address';
import { spendLoginBudget } from './auth/login-spraying';
import { tokenSignerFrom } from './auth/token-signing';
import { pepperFrom, readReplicationFrom, settingsFrom } from './config';
import { openDatabase, openNearestCopy } from './db/database';
import { enqueueCommitted } from './events/publish';
import type { AppEnv } from './http/context';
import { logEvent } from './logging';
import { loginThrottle, tenantSessions } from './sessions/stub';
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
    spendLoginBudget: () =>
      spendLoginBudget(
        c.env.LOGIN_FAILURES,
        {
          apiKeyId: c.get('apiKeyId'),
          address: clientAddress(c.req.header('CF-Connecting-IP')),
          perMinute: settings.loginFailuresPerMinute,
        },
        log,
      ),
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
