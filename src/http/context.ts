import type { Context } from 'hono';
import type { ApiKeyKind } from '../auth/api-key-format';
import type { PresentedSession, SessionIdentity } from '../auth/session-token';
import type { LoggedEvent } from '../logging';
import type { TenantRead } from '../tenants/change-read';
import type { Deps } from '../tenants/deps';

/** The Hono environment every module shares: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    apiKeyId: string;
    /** Whether the key may name the end user's address in X-Client-Address (src/http/client.ts). */
    apiKeyKind: ApiKeyKind;
    /** The business of the request's key: the only tenants the request may see. */
    business: string;
    session: SessionIdentity;
    /** An X-Token parsed but not yet validated, for a workflow that validates it itself (src/http/session.ts). */
    presentedSession: PresentedSession | undefined;
    /** A password change's D1 read, started while the session is validated (src/http/read-ahead.ts). */
    changeRead: Promise<TenantRead>;
    /** Builds what a workflow is given, once the key's business is known; set by the app (src/wiring.ts). */
    deps: () => Deps;
    logEvents: LoggedEvent[];
    /** The error code of a failed request, for its log line. */
    errorCode: string | undefined;
  };
}

/** What a route hands its workflow: this request's bindings, settings, id and log. */
export function depsOf(c: Context<AppEnv>): Deps {
  return c.get('deps')();
}
