import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      REPLICA_DB: D1Database;
      /** A Worker secret when deployed (src/config.ts, tokenSigningKeysFrom); vitest.config.ts sets the development key. */
      TOKEN_SIGNING_KEY: string;
      TOKEN_SIGNING_KEY_PREVIOUS?: string;
    }
  }
}
