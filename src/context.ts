import type { Context } from 'hono';
import { pepperFrom, settingsFrom } from './config';
import { logEvent, type LoggedEvent } from './logging';
import { loginThrottle, tenantSessions } from './sessions/stub';
import type { Deps } from './tenants/deps';
import { openDatabase } from './tenants/repository';

/** The Hono environment every module shares: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    apiKeyId: string;
    session: SessionIdentity;
    logEvents: LoggedEvent[];
    /** The error code of a failed request, for its log line. */
    errorCode: string | undefined;
  };
}

export interface SessionIdentity {
  tenantId: string;
  sessionId: string;
}

/** What a route hands its workflow: this request's bindings, settings, id and log. */
export function depsFrom(c: Context<AppEnv>): Deps {
  return {
    db: openDatabase(c.env.DB),
    sessionsOf: (tenantId) => tenantSessions(c.env, tenantId),
    loginThrottleOf: (userName) => loginThrottle(c.env, userName),
    settings: settingsFrom(c.env),
    pepper: pepperFrom(c.env),
    requestId: c.get('requestId'),
    log: (level, event, fields) => logEvent(c, level, event, fields),
  };
}
