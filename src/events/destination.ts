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
  // The parser drops :443 from https URLs: any port left names another service of the host.
  if (parsed.port !== '') return 'must use the port of https:// (443)';
  // `localhost.` is `localhost`: a name ending in a dot is fully qualified and escapes the checks below.
  if (host.endsWith('.')) return 'must not end with a dot';
  if (isLoopback(host) || isPrivate(host)) return 'must be a public host, not a loopback, private or local address';
  return null;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  const v4 = ipv4(host) ?? embeddedIpv4(host);
  return v4 !== null && v4[0] === 127;
}

const LOCAL_SUFFIXES = ['.local', '.internal', '.lan', '.home.arpa'];

function isPrivate(host: string): boolean {
  if (host.startsWith('[')) return isPrivateIpv6(host);
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

/** An IPv6 address carrying an IPv4 one is judged by that address; the rest by their reserved ranges. */
function isPrivateIpv6(host: string): boolean {
  const groups = ipv6Groups(host);
  if (!groups) return true;
  const v4 = embeddedIpv4(host);
  if (v4) return isPrivateIpv4(v4);
  const [first, second] = groups;
  return (
    (first & 0xfe00) === 0xfc00 || // unique local, fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local, fe80::/10
    (first & 0xffc0) === 0xfec0 || // site-local, fec0::/10
    (first & 0xff00) === 0xff00 || // multicast, ff00::/8
    (first === 0x2001 && second === 0) || // Teredo, 2001::/32: its IPv4 address is hidden
    (first === 0x2001 && second === 0x0db8) || // documentation, 2001:db8::/32
    (first === 0x0064 && second === 0xff9b) || // NAT64, local use 64:ff9b:1::/48 included
    (first === 0x0100 && groups.slice(1, 4).every((group) => group === 0)) // discard, 100::/64
  );
}

/** The URL parser has already turned every IPv4 spelling (hex, octal, one number) into dotted decimal. */
function ipv4(host: string): number[] | null {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  return match ? match.slice(1).map(Number) : null;
}

/**
 * The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), translated
 * (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, `::1` and `::` included), NAT64
 * (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`). The parser writes them all in hex groups.
 */
function embeddedIpv4(host: string): number[] | null {
  const groups = host.startsWith('[') ? ipv6Groups(host) : null;
  if (!groups) return null;
  const zero = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const quad = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff];
  if (zero(0, 5) && (groups[5] === 0xffff || groups[5] === 0)) return quad(groups[6], groups[7]);
  if (zero(0, 4) && groups[4] === 0xffff && groups[5] === 0) return quad(groups[6], groups[7]);
  if (groups[0] === 0x0064 && groups[1] === 0xff9b && zero(2, 6)) return quad(groups[6], groups[7]);
  if (groups[0] === 0x2002) return quad(groups[1], groups[2]);
  return null;
}

/** The eight 16-bit groups of a bracketed IPv6 host as the URL parser writes it (hex, `::` compressed). */
function ipv6Groups(host: string): number[] | null {
  const match = /^\[([0-9a-f:]+)\]$/.exec(host);
  if (!match) return null;
  const [head, tail, extra] = match[1].split('::');
  if (extra !== undefined) return null;
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [left, right] = [parse(head), parse(tail)];
  if (tail === undefined) return left.length === 8 ? left : null;
  const missing = 8 - left.length - right.length;
  return missing >= 1 ? [...left, ...Array<number>(missing).fill(0), ...right] : null;
}
