// npm run webhook:listen [-- --business <slug>] [--port <n>] [--persist-to <dir>]
// Watches a business's events locally: starts a receiver on 127.0.0.1, registers it as the
// business's endpoint in the local store (`npm run webhook -- set`, replacing any local endpoint),
// and prints every event whose signature verifies, until Ctrl-C, which removes the endpoint again.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startWebhookReceiver } from './lib/webhook-receiver.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const business = option('--business', 'default');
const persistTo = option('--persist-to');
const local = persistTo ? ['--persist-to', persistTo] : [];

/** The webhook CLI as the operator runs it; returns its standard output. */
function webhookCli(command) {
  const cli = fileURLToPath(new URL('./webhook.mjs', import.meta.url));
  const preload = fileURLToPath(new URL('./lib/resolve-ts.mjs', import.meta.url));
  const result = spawnSync(process.execPath, ['--import', preload, cli, ...command, '--business', business, ...local], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  return result.stdout;
}

const receiver = await startWebhookReceiver({
  port: Number(option('--port', 0)),
  onEvent: ({ id, event }) => console.log(`${new Date().toISOString()}  ${event.type}  ${id}  ${JSON.stringify(event.data)}`),
  onRejected: (reason) => console.log(`${new Date().toISOString()}  REJECTED  ${reason}`),
});
receiver.setSecret(webhookCli(['set', '--url', receiver.url]).trim().split('\n').at(-1));
console.log(`Listening on ${receiver.url} for the events of business ${business}; Ctrl-C stops and removes the endpoint.`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    webhookCli(['remove']);
    await receiver.close();
    process.exit(0);
  });
}
