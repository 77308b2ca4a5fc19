/**
 * Where the worker may POST events. Deployed: `https://` to a public host only. Local (the
 * WEBHOOK_ALLOW_LOOPBACK var, or the CLI without `--remote`): also `http://` to a loopback address,
 * and any host over `https://`. Shared by the operator CLI, which checks an endpoint when it is set,
 * and the queue consumer, which checks it again at every delivery.
 *
 * Only the URL is judged: a Worker cannot resolve DNS, so a public name that resolves to a private
 * address is left to Cloudflare's network, which does not route Worker subrequests into private ranges.
 */

export interface DestinationPolicy {
  allowLoopback: boolean;
}

export function destinationPolicyFrom(env: object): DestinationPolicy {
  return { allowLoopback: (env as Record<string, unknown>).WEBHOOK_ALLOW_LOOPBACK === 'true' };
}

/** Why events must not go to `url`, as the end of a sentence starting "The endpoint …", or null. */
export function destinationProblem(url: string, policy: DestinationPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  const host = parsed.hostname.toLowerCase();
  if (policy.allowLoopback) {
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(host))) return null;
    return 'must be https://, or http:// on 127.0.0.1';
  }
  if (parsed.protocol !== 'https:') return 'must be https:// (http://127.0.0.1 is accepted only locally)';
  if (isLoopback(host) || isPrivate(host)) return 'must be a public host, not a loopback, private or local address';
  return null;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  const v4 = ipv4(host) ?? mappedIpv4(host);
  return v4 !== null && v4[0] === 127;
}

const LOCAL_SUFFIXES = ['.local', '.internal', '.lan', '.home.arpa'];

function isPrivate(host: string): boolean {
  if (host.startsWith('[')) {
    const v4 = mappedIpv4(host);
    if (v4) return isPrivateIpv4(v4);
    // Unspecified, unique local (fc00::/7), link-local (fe80::/10), multicast (ff00::/8).
    return host === '[::]' || /^\[(f[cd]|fe[89ab]|ff)/.test(host);
  }
  const v4 = ipv4(host);
  if (v4) return isPrivateIpv4(v4);
  // A single label is an intranet name; these suffixes never name a public host.
  return !host.includes('.') || LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

function isPrivateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** The URL parser has already turned every IPv4 spelling (hex, octal, one number) into dotted decimal. */
function ipv4(host: string): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return match ? match.slice(1).map(Number) : null;
}

/** An IPv4 address written as IPv6 (`[::ffff:7f00:1]`), as the parser normalizes `[::ffff:127.0.0.1]`. */
function mappedIpv4(host: string): number[] | null {
  const match = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (!match) return null;
  const [high, low] = [parseInt(match[1], 16), parseInt(match[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}
