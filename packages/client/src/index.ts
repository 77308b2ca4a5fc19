// The typed client of the StoRegister tenant API: openapi-fetch over the types openapi-typescript
// generates from the service's /openapi.json (./api.ts, written by `npm run build:client`).
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './api.js';

export type { components, operations, paths, webhooks } from './api.js';

export interface TenantApiOptions {
  /** Where the API runs, e.g. http://127.0.0.1:8787 or the URL `npm run deploy` printed. */
  baseUrl: string;
  /** The business's application key, sent as X-API-Key on every request. */
  apiKey: string;
  /** Another fetch (a test double, or a Service Binding's). */
  fetch?: ClientOptions['fetch'];
}

export type TenantApiClient = Client<paths>;

/**
 * A client whose methods are typed by path: `api.POST('/v1/login', { body })` gives `{ data, error }`
 * with the envelope of the success or of the documented failure. Pass X-Token per call:
 * `{ headers: { 'X-Token': token } }`.
 */
export function createTenantApiClient(options: TenantApiOptions): TenantApiClient {
  return createClient<paths>({ baseUrl: options.baseUrl, headers: { 'X-API-Key': options.apiKey }, fetch: options.fetch });
}
