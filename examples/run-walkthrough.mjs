// npm run test:walkthrough: serves the real worker on a free loopback port over a throwaway local
// store, then runs the walkthrough script (examples/walkthrough.sh), the README's own curl blocks as
// written, and the typed client (examples/client.ts) against it. Exits 1 if any fails.
// WALKTHROUGH_PORT picks the port.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLocalServer } from '../scripts/lib/local-server.mjs';

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

/**
 * The README's "Walkthrough with curl" section: its sh blocks as one script (pointed at `base`, with
 * `key` and a fresh user name), and the envelope status shown by each json block that follows one.
 */
function readmeWalkthrough(base, key) {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('## Walkthrough with curl')[1].split('\n## ')[0];
  const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map(([, kind, text]) => ({ kind, text }));
  const userName = `readme-${randomUUID()}@example.com`;
  const script = blocks
    .filter((block) => block.kind === 'sh')
    .map((block) =>
      block.text
        .replace(/^KEY=\$\(npm run api-key.*$/m, `KEY='${key}'`)
        .replaceAll('http://127.0.0.1:8787', base)
        .replaceAll('jane.doe@example.com', userName),
    )
    .join('\necho\n');
  const expected = blocks.flatMap((block, i) =>
    block.kind === 'json' && blocks[i - 1]?.kind === 'sh' ? [JSON.parse(block.text).status] : [],
  );
  return { script: `set -euo pipefail\n${script}\necho\n`, expected };
}

/** Runs the README's blocks and compares the envelopes they print with the ones the README shows. */
function runReadmeWalkthrough(base, key) {
  const { script, expected } = readmeWalkthrough(base, key);
  const result = spawnSync('bash', ['-c', script], { cwd: ROOT, encoding: 'utf8' });
  const statuses = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line).status);
  console.log(statuses.map((status, i) => `README step ${i + 1}: ${status}`).join('\n'));
  const same = result.status === 0 && JSON.stringify(statuses) === JSON.stringify(expected);
  if (!same) console.error(`README walkthrough: expected ${JSON.stringify(expected)}, got ${JSON.stringify(statuses)}\n${result.stderr}`);
  return same;
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
  console.log('\n== README.md walkthrough, as written');
  if (runReadmeWalkthrough(server.base, server.apiKey)) passed++;
  else failed++;
} catch (error) {
  console.error(`Could not serve the worker: ${error.message}`);
  failed = CHECKS.length + 1 - passed;
} finally {
  server?.stop();
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
