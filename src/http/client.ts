import type { Context } from 'hono';
import { clientAddress, parseForwardedAddress, type ClientBuckets } from '../auth/client-address';
import { ApiError } from '../errors';
import type { AppEnv } from './context';

export const CLIENT_ADDRESS_HEADER = 'X-Client-Address';

/**
 * The client a request's per-client limits count: the end user a server key names in
 * X-Client-Address (strictly parsed: anything else is a 400), or else the caller's address. Through
 * a publishable key X-Client-Address is ignored, whatever it holds: such a key is public, and a
 * client could otherwise name a fresh address for every request.
 */
export function requestClient(c: Context<AppEnv>): ClientBuckets {
  const forwarded = c.get('apiKeyKind') === 'server' ? c.req.header(CLIENT_ADDRESS_HEADER) : undefined;
  if (forwarded === undefined) return clientAddress(c.req.header('CF-Connecting-IP'));
  const parsed = parseForwardedAddress(forwarded);
  if (!parsed) {
    throw new ApiError('FAILED', { message: `${CLIENT_ADDRESS_HEADER} must be one IPv4 or IPv6 address, e.g. 198.51.100.23 or 2001:db8::17.` });
  }
  return parsed;
}
