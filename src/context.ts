/** The Hono environment every module shares: bindings plus what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    apiKeyId: string;
    session: SessionIdentity;
  };
}

export interface SessionIdentity {
  tenantId: string;
  sessionId: string;
}
