import { Hono } from 'hono';
import type { AppEnv } from '../http/context';
import { ApiError } from '../errors';

/** Well-known URLs outside the API (RFC 8615), not part of the OpenAPI document. */
export const wellKnownRoutes = new Hono<AppEnv>();

/** The CHANGE_PASSWORD_URL var as an absolute http(s) URL, or null when it is empty or anything else. */
function changePasswordUrl(env: Env): string | null {
  const configured: string = env.CHANGE_PASSWORD_URL ?? '';
  const url = URL.parse(configured.trim());
  return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url.href : null;
}

// Password managers look here for the page where a user changes their password
// (https://w3c.github.io/webappsec-change-password-url/); the page belongs to the tenant portal.
wellKnownRoutes.get('/.well-known/change-password', (c) => {
  const url = changePasswordUrl(c.env);
  if (!url) throw new ApiError('FAILED', { status: 404, message: 'No change-password page is configured.' });
  return c.redirect(url, 302);
});
