// npm run test:walkthrough: serves the real worker on a free loopback port over a throwaway local
// store, then runs the README walkthrough (examples/walkthrough.sh) and the typed client
// (examples/client.ts) against it. Exits 1 if either fails. WALKTHROUGH_PORT picks the port.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLocalServer } from '../bench/local-server.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const CHECKS = [
  { name: 'examples/walkthrough.sh', command: 'bash', args: ['examples/walkthrough.sh'] },
  // The project's Node 22 runs the TypeScript file directly (type stripping).
  { name: 'examples/client.ts', command: process.execPath, args: ['examples/client.ts'] },
];

/** A port nothing listens on right now, chosen by the system. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

let passed = 0;
let failed = 0;
let server;
try {
  server = await startLocalServer({ script: 'src/index.ts', port: Number(process.env.WALKTHROUGH_PORT) || (await freePort()) });
  console.log(`Serving src/index.ts at ${server.base}`);
  for (const check of CHECKS) {
    console.log(`\n== ${check.name}`);
    const result = spawnSync(check.command, check.args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, BASE: server.base, KEY: server.apiKey },
    });
    if (result.status === 0) {
      passed++;
    } else {
      failed++;
      console.error(`== ${check.name} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
    }
  }
} catch (error) {
  console.error(`Could not serve the worker: ${error.message}`);
  failed = CHECKS.length - passed;
} finally {
  server?.stop();
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
