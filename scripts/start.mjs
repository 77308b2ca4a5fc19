// npm start: apply the D1 migrations to the local store in .wrangler/, then serve the API.
// Extra arguments go to `wrangler dev`, e.g. `npm start -- --port 8788`.
import { spawn } from 'node:child_process';
import { LOCAL_VARS } from './lib/local-server.mjs';
import { WRANGLER_BIN, wrangler } from './lib/wrangler.mjs';

const args = process.argv.slice(2);
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? args[portIndex + 1] : (args.find((a) => a.startsWith('--port='))?.split('=')[1] ?? '8787');
const base = `http://127.0.0.1:${port}`;

const migrated = wrangler(['d1', 'migrations', 'apply', 'DB', '--local'], { input: 'y\n' });
if (migrated.status !== 0) process.exit(migrated.status);

console.log(`
  StoRegister tenant API
  API:   ${base}/v1
  Docs:  ${base}/docs   (OpenAPI document: ${base}/openapi.json)
  Key:   npm run api-key -- create --name demo
  Events: npm run webhook:listen   (prints the webhooks of business "default" as they arrive)
`);

// --test-scheduled: GET /__scheduled runs the cron trigger (the outbox sweep), which wrangler dev never runs by itself.
const devArgs = ['dev', '--ip', '127.0.0.1', '--test-scheduled', ...LOCAL_VARS, ...(portIndex >= 0 || args.some((a) => a.startsWith('--port=')) ? [] : ['--port', port]), ...args];
const child = spawn(process.execPath, [WRANGLER_BIN, ...devArgs], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
