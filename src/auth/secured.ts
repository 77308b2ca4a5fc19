import type { MiddlewareHandler } from 'hono';
import { SECURITY } from '../openapi';
import { requireApiKey } from './api-key';
import { requireSession } from './session';

/**
 * A route's `security` (what the document says it requires) and its `middleware` (what enforces it)
 * together, to spread into `createRoute`, so the two cannot drift apart. `more` runs after them.
 */
export function secured(level: keyof typeof SECURITY, ...more: MiddlewareHandler[]) {
  const checks = level === 'session' ? [requireApiKey(), requireSession()] : [requireApiKey()];
  return { security: SECURITY[level], middleware: [...checks, ...more] };
}

/**
 * As secured('session', ...more), with `alongside` run between the key check and the session check,
 * so that work it starts overlaps the session's validation in the Durable Object.
 */
export function securedAlongside(alongside: MiddlewareHandler, ...more: MiddlewareHandler[]) {
  return { security: SECURITY.session, middleware: [requireApiKey(), alongside, requireSession(), ...more] };
}
