// Runs in Node, in the vitest process, as the outbound network of the workers under test: every
// fetch the worker makes to a host under RECEIVER_DOMAIN is answered and recorded here, as a real
// webhook receiver would see it. Tests read what a host received with GET https://<host>/__received.
// A path /status/<code> answers that status (a 3xx with a Location), any other path 204.

export const RECEIVER_DOMAIN = 'hooks.test';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const received = new Map<string, ReceivedRequest[]>();

export async function receiveOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (!url.hostname.endsWith(`.${RECEIVER_DOMAIN}`)) {
    return new Response('tests have no network beyond the webhook receiver', { status: 502 });
  }
  if (url.pathname === '/__received') return Response.json(received.get(url.hostname) ?? []);
  const log = received.get(url.hostname) ?? [];
  received.set(url.hostname, log);
  log.push({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body: await request.text() });
  const status = Number(/^\/status\/(\d{3})$/.exec(url.pathname)?.[1] ?? 204);
  return new Response(null, { status, headers: status >= 300 && status < 400 ? { Location: `https://elsewhere.${RECEIVER_DOMAIN}/` } : {} });
}
