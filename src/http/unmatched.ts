import type { Context } from 'hono';
import type { RouterRoute } from 'hono/types';
import { ApiError, renderApiError } from '../errors';

/** The methods some route answers on `path`, from the app's route list. */
export function allowedMethods(routes: RouterRoute[], path: string): string[] {
  const methods = routes.filter((route) => route.path === path && route.method !== 'ALL').map((route) => route.method);
  return [...new Set(methods)];
}

export function methodNotAllowed(c: Context, allowed: string[]): Response {
  c.header('Allow', allowed.join(', '));
  return renderApiError(c, new ApiError('FAILED', { status: 405, message: `Method ${c.req.method} is not allowed here.` }));
}

/** The envelope for a request no route takes: 405 with `Allow` when the path exists, else 404. */
export function unmatched(c: Context, routes: RouterRoute[]): Response {
  const allowed = allowedMethods(routes, c.req.path);
  if (allowed.length > 0) return methodNotAllowed(c, allowed);
  return renderApiError(c, new ApiError('FAILED', { status: 404, message: 'No such route.' }));
}
