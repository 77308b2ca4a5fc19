import type { Context } from 'hono';
import { clientAddress } from './auth/client-address';
import { spendLoginBudget } from './auth/login-spraying';
import { pepperFrom, settingsFrom } from './config';
import { enqueueCommitted } from './events/publish';
import { logEvent, type LoggedEvent } from './logging';
import { loginThrottle, tenantSessions } from './sessions/stub';
import type { ChangeRead } from './tenants/change-read';
import type { Deps } from './tenants/deps';
import { openDatabase } from './tenants/repository';

/** The Hono environment every module shares: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    apiKeyId: string;
    /** The business of the request's key: the only tenants the request may see. */
    business: string;
    session: SessionIdentity;
    /** An X-Token parsed but not yet validated, for a workflow that validates it itself (src/auth/session.ts). */
    presentedSession: PresentedSession | undefined;
    /** A password change's D1 read, started while the session is validated (src/read-ahead.ts). */
    changeRead: Promise<ChangeRead>;
    logEvents: LoggedEvent[];
    /** The error code of a failed request, for its log line. */
    errorCode: string | undefined;
  };
}

export interface SessionIdentity {
  tenantId: string;
  sessionId: string;
}

/** What a request presents as its session: the token's ids, the hash of its secret, and the key's business. */
export interface PresentedSession extends SessionIdentity {
  secretHash: string;
  business: string;
}

/** What a route hands its workflow: this request's bindings, settings, id and log. */
export function depsFrom(c: Context<AppEnv>): Deps {
  const business = c.get('business');
  const settings = settingsFrom(c.env);
  const log: Deps['log'] = (level, event, fields) => logEvent(c, level, event, fields);
  return {
    db: openDatabase(c.env.DB),
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
    settings,
    pepper: pepperFrom(c.env),
    requestId: c.get('requestId'),
    log,
    sendEvent: (event) => c.executionCtx.waitUntil(enqueueCommitted(c.env, event)),
  };
}
