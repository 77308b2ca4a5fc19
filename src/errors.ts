import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeError } from './error-description';
import { ERRORS, type ErrorCode } from './error-codes';
import type { ErrorEntry, FailureEnvelope, SuccessEnvelope } from './schemas';

export { describeError, ERRORS, type ErrorCode };

export function successEnvelope<T>(data: T): SuccessEnvelope<T> {
  return { data, succeeded: true, status: 'SUCCESS', errors: null };
}

export function failureEnvelope(errors: ErrorEntry[]): FailureEnvelope {
  return { data: null, succeeded: false, status: errors[0].code, errors };
}

interface ApiErrorOptions {
  message?: string;
  field?: string;
  /** Overrides the code's default status, e.g. 413 or 415 for FAILED. */
  status?: ContentfulStatusCode;
  headers?: Record<string, string>;
  /** Further entries after the first, e.g. other invalid fields. */
  more?: ErrorEntry[];
  /** The underlying fault, logged for 5xx and never sent to the client. */
  cause?: unknown;
}

/** The one error type: thrown anywhere, rendered as the envelope by `handleError`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly entries: ErrorEntry[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    const message = options.message ?? ERRORS[code].message;
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = options.status ?? ERRORS[code].status;
    const first: ErrorEntry = { code, message, ...(options.field ? { field: options.field } : {}) };
    this.entries = [first, ...(options.more ?? [])];
    this.headers = options.headers ?? {};
  }
}

/**
 * The WWW-Authenticate challenges of the two credentials (RFC 9110 asks one on every 401): the key's,
 * and the session token's, which a 401 names when no other applies (a failed login issues no token).
 */
export const AUTH_CHALLENGES = {
  apiKey: 'ApiKey realm="storegister", header="X-API-Key"',
  token: 'Token realm="storegister", header="X-Token"',
};

export function renderApiError(c: Context, error: ApiError): Response {
  c.set('errorCode', error.code);
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  if (error.status === 401 && !error.headers['WWW-Authenticate']) c.header('WWW-Authenticate', AUTH_CHALLENGES.token);
  return c.json(failureEnvelope(error.entries), error.status);
}
