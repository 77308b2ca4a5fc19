import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      REPLICA_DB: D1Database;
      ADVERSARIAL_RUNS: string;
      ADVERSARIAL_SEED: string;
      ADVERSARIAL_PATH: string;
      ADVERSARIAL_ITERATIONS: string;
    }
  }
  // Worker secrets when deployed (src/config.ts, tokenSigningKeysFrom), so not in the generated
  // types; vitest.config.ts sets the development key, and tests rotate it with envWith.
  interface Env {
    TOKEN_SIGNING_KEY?: string;
    TOKEN_SIGNING_KEY_PREVIOUS?: string;
  }
}
