// Types of local-server.mjs for the TypeScript tests that start a server (test/node/).
export interface LocalServer {
  base: string;
  apiKey: string;
  state: string;
  stop(): void;
}
export function startLocalServer(options: {
  script: string;
  port: number;
  storeIn?: string;
  projectDir?: string;
  seed?: (state: string) => unknown;
  keyKind?: 'publishable' | 'server';
}): Promise<LocalServer>;
export function request(
  base: string,
  path: string,
  options?: { method?: string; key?: string; token?: string; body?: unknown; headers?: Record<string, string> },
): Promise<{ ms: number; status: number; headers: Headers; json: unknown }>;
export const DEV_TOKEN_SIGNING_KEY: string;
export const LOCAL_VARS: string[];
