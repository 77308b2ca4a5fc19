import { recordFailure } from './documented-errors';
import { dispatch, ORIGIN } from './dispatch';

export interface CallOptions {
  method?: string;
  /** Serialized as JSON unless it is a string, bytes or a stream, which are sent as they are. */
  body?: unknown;
  apiKey?: string | null;
  token?: string | null;
  /** Sent with a body unless `headers` names one; null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Bindings to use instead of the real ones, to inject faults. */
  env?: Env;
}

export interface Envelope<T = unknown> {
  data: T;
  succeeded: boolean;
  status: string;
  errors: { code: string; message: string; field?: string }[] | null;
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: Envelope<T>;
}

function isRaw(body: unknown): body is string | Uint8Array | ReadableStream {
  return typeof body === 'string' || body instanceof Uint8Array || body instanceof ReadableStream;
}

/** The request `call` would send, for a test that needs it before (or instead of) the envelope. */
export function buildRequest(path: string, options: CallOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (options.apiKey) headers.set('X-API-Key', options.apiKey);
  if (options.token) headers.set('X-Token', options.token);
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    body = isRaw(options.body) ? options.body : JSON.stringify(options.body);
    const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
    if (contentType !== null && !headers.has('Content-Type')) headers.set('Content-Type', contentType);
  }
  return new Request(`${ORIGIN}${path}`, { method: options.method ?? 'GET', headers, body });
}

/** Sends a request through the worker's real entry and reads the envelope it answers. */
export function call<T = unknown>(path: string, options: CallOptions = {}): Promise<Reply<T>> {
  return send<T>(buildRequest(path, options), options.env);
}

/** Like `call`, for a request built by hand. */
export async function send<T = unknown>(request: Request, bindings?: Env): Promise<Reply<T>> {
  const response = await dispatch(request, bindings);
  const text = await response.text();
  let body: Envelope<T>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Not JSON (HTTP ${response.status}, Content-Type ${response.headers.get('Content-Type')}): ${text.slice(0, 200)}`);
  }
  recordFailure(request.method, new URL(request.url).pathname, response.status, body?.status);
  return { status: response.status, headers: response.headers, text, body };
}

/** Like `call`, for an answer that is not the envelope (a page, a redirect, a HEAD): the raw response. */
export function callRaw(path: string, options: CallOptions = {}): Promise<Response> {
  return dispatch(buildRequest(path, options), options.env);
}
