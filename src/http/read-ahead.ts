import { createMiddleware } from 'hono/factory';
import { depsOf, type AppEnv } from './context';
import { readForChange } from '../tenants/change-read';

/**
 * Starts a password change's D1 read for the tenant the X-Token names while the session is still
 * being validated, so that D1 and the Durable Object answer in one round trip instead of two in a
 * row. Runs after `presentSession`, so only a token this service issued for the key's business gets
 * here; nothing read is used or shown unless the session then validates.
 */
export function readChangeAhead() {
  return createMiddleware<AppEnv>(async function changeReadAhead(c, next) {
    const presented = c.get('presentedSession');
    if (presented) {
      const read = readForChange(depsOf(c), presented.tenantId);
      // A refused session never awaits it.
      read.catch(() => {});
      c.set('changeRead', read);
    }
    await next();
  });
}
