import { createMiddleware } from 'hono/factory';
import { parseToken } from '../auth/session-token';
import { depsOf, type AppEnv } from './context';
import { readForChange } from '../tenants/change-read';

/**
 * Starts a password change's D1 read for the tenant the X-Token names while the session is still
 * being validated, so that D1 and the Durable Object answer in one round trip instead of two in a
 * row. Runs after the key check; nothing read is used or shown unless the session then validates,
 * and a token that does not parse reads nothing.
 */
export function readChangeAhead() {
  return createMiddleware<AppEnv>(async function changeReadAhead(c, next) {
    const header = c.req.header('X-Token');
    const parsed = header ? parseToken(header) : null;
    if (parsed) {
      const read = readForChange(depsOf(c), parsed.tenantId);
      // A refused session never awaits it.
      read.catch(() => {});
      c.set('changeRead', read);
    }
    await next();
  });
}
