import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError, describeError, renderApiError } from '../errors';
import { logEvent } from '../logging';

/** The app's `onError`: known errors become their envelope, anything else a logged, generic 500. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) {
    if (error.status >= 500) logEvent(c, 'error', 'request.failed', { code: error.code, cause: describeError(error.cause) });
    return renderApiError(c, error);
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own client errors (e.g. malformed JSON reaching a validator): keep the status, hide the detail.
    return renderApiError(c, new ApiError('FAILED', { status: error.status as ContentfulStatusCode }));
  }
  logEvent(c, 'error', 'request.unhandled', { cause: describeError(error) });
  return renderApiError(c, new ApiError('SOMETHING_WENT_WRONG'));
}
