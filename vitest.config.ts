import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { DEV_TOKEN_SIGNING_KEY } from './scripts/lib/local-server.mjs';
import { receiveOutbound } from './test/support/webhook-receiver.ts';

export default defineConfig(async () => ({
  test: {
    testTimeout: 30_000,
    // Keep the JSON log lines of passing tests out of the report; failing tests still show theirs.
    silent: 'passed-only' as const,
    // npm run test:adversarial (--silent=false): of the console, only the model's progress lines.
    onConsoleLog: (log: string) => (process.env.ADVERSARIAL_PROGRESS ? log.startsWith('adversarial model:') : undefined),
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        // Everything that touches the service runs inside workerd, with real D1, KV and Durable Objects.
        plugins: [
          cloudflareTest({
            remoteBindings: false,
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              // The worker's outbound fetches (webhook deliveries) reach a recording receiver, not the network.
              outboundService: receiveOutbound,
              // A second database standing for a D1 read replica that lags behind (test/support/replica.ts).
              d1Databases: ['REPLICA_DB'],
              bindings: {
                // A secret when deployed; the tests sign with the same development key as `npm start`.
                TOKEN_SIGNING_KEY: DEV_TOKEN_SIGNING_KEY,
                TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url))),
                // npm run test:adversarial: how many sequences the adversarial model runs, and which to replay.
                ADVERSARIAL_RUNS: process.env.ADVERSARIAL_RUNS ?? '',
                ADVERSARIAL_SEED: process.env.ADVERSARIAL_SEED ?? '',
                ADVERSARIAL_PATH: process.env.ADVERSARIAL_PATH ?? '',
                ADVERSARIAL_ITERATIONS: process.env.ADVERSARIAL_ITERATIONS ?? '',
              },
            },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ['test/node/**'],
          setupFiles: ['./test/setup.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Tools that cannot run in workerd (a JSON Schema validator compiles code at run time).
        test: { name: 'node', include: ['test/node/**/*.test.ts'], environment: 'node', testTimeout: 30_000 },
      },
    ],
  },
}));
