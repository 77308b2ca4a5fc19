// A webhook receiver on loopback, as a business would write one: verify the Standard Webhooks
// signature with the `standardwebhooks` package, drop duplicates by `webhook-id`, answer 2xx at
// once and do the work afterwards. Used by `npm run webhook:listen` and the walkthrough runner.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Listens on 127.0.0.1:`port` (0: any free port). `setSecret` arms verification once the endpoint
 * is registered; until then every delivery is refused with 401, like a wrong signature.
 * `onEvent({ id, event })` gets each verified event once; `onRejected(reason)` each refusal.
 */
export async function startWebhookReceiver({ port = 0, onEvent = () => {}, onRejected = () => {} } = {}) {
  let verifier = null;
  const seen = new Set();
  const server = createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      const id = request.headers['webhook-id'];
      let event;
      try {
        if (!verifier) throw new Error('no secret yet');
        if (request.method !== 'POST' || size > MAX_BODY_BYTES) throw new Error(`${request.method}, ${size} bytes`);
        event = verifier.verify(Buffer.concat(chunks).toString('utf8'), request.headers);
      } catch (error) {
        response.writeHead(401).end();
        onRejected(`${id ?? 'no webhook-id'}: ${error.message}`);
        return;
      }
      response.writeHead(204).end();
      if (seen.has(id)) return;
      seen.add(id);
      onEvent({ id, event });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    setSecret: (secret) => {
      verifier = new Webhook(secret);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
