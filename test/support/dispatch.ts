import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../src/index';

/** The host of every test request; the worker does not route on it. */
export const ORIGIN = 'http://api.test';

/** The one way a test reaches the service: the worker's real entry, then its background work. */
export async function dispatch(request: Request, bindings: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}
