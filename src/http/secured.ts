import type { MiddlewareHandler } from 'hono';
import { SECURITY } from './openapi';
import { requireApiKey, requireServerKey } from './api-key';
import { presentSession, requireSession } from './session';

/**
 * A route's `security` (what the document says it requires) and its `middleware` (what enforces it)
 * together, to spread into `createRoute`, so the two cannot drift apart. `more` runs after them.
 */
export function secured(level: keyof typeof SECURITY, ...more: MiddlewareHandler[]) {
  const checks =
    level === 'session' ? [requireApiKey(), requireSession()] : level === 'server' ? [requireApiKey(), requireServerKey()] : [requireApiKey()];
  return { security: SECURITY[level], middleware: [...checks, ...more] };
}

/**
 * As secured('session', ...more), for a route whose workflow validates the session itself, in the
 * same Durable Object call as its first step (see `presentSession`). `alongside` runs once the token
 * is known to be one the service issued and before the body is read, so that work it starts
 * overlaps that call.
 */
export function securedByWorkflow(alongside: MiddlewareHandler, ...more: MiddlewareHandler[]) {
  return { security: SECURITY.session, middleware: [requireApiKey(), presentSession(), alongside, ...more] };
}
