import type { LoggedEvent } from './logging';

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
