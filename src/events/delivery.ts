/** One POST of one event to one endpoint, signed, bounded in time, never following a redirect. */
import { WEBHOOK_TIMEOUT_MS } from '../config';
import type { Endpoint } from './endpoints';
import { webhookBody, type EventMessage } from '../security-events';
import { signWebhook } from './signature';

const USER_AGENT = 'StoRegister-Webhooks/1';

export interface DeliveryResult {
  ok: boolean;
  /** The HTTP status, or `timeout` / `network_error`; the response body is never read. */
  status: string;
}

/** A 2xx is a delivery; a 3xx is a failure like any other, since a redirect could lead anywhere. */
export async function postEvent(endpoint: Endpoint, event: EventMessage, sentAt: number): Promise<DeliveryResult> {
  const body = webhookBody(event);
  const signed = await signWebhook(endpoint.secrets, event.id, sentAt, body);
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { ...signed, 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { ok: response.status >= 200 && response.status < 300, status: String(response.status) };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, status: timedOut ? 'timeout' : 'network_error' };
  }
}
