/**
 * The client a per-client budget is kept for. One IPv6 subscriber usually holds a whole /64 and can
 * rotate through it at will, so an IPv6 address counts as its /64, and also belongs to its /48 (a
 * site's allocation: 65,536 /64s), which has a coarser budget of its own; an IPv4 address (also when
 * written IPv4-mapped) counts as itself. Without an address (tests, local tools) every request
 * shares one bucket.
 */
export interface ClientBuckets {
  /** The client: an IPv4 address, or an IPv6 /64. */
  client: string;
  /** The /48 of an IPv6 client; absent for IPv4. */
  network?: string;
}

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
/** The longest text form of an IPv6 address (with an embedded IPv4 address). */
const MAX_ADDRESS_CHARS = 45;

/** CF-Connecting-IP, which Cloudflare sets: read leniently, anything unparsable is its own bucket. */
export function clientAddress(header: string | undefined): ClientBuckets {
  const address = header?.trim().toLowerCase() ?? '';
  if (!address) return { client: 'unknown' };
  return parseAddress(address.split('%')[0]) ?? { client: address };
}

/**
 * X-Client-Address, which a business's server sends: an IPv4 address in dotted decimal or an IPv6
 * address in its text forms (RFC 4291 section 2.2), nothing else (no zone, port, brackets or
 * spaces). Null when it is not exactly one of these.
 */
export function parseForwardedAddress(header: string): ClientBuckets | null {
  if (header.length > MAX_ADDRESS_CHARS) return null;
  return parseAddress(header.toLowerCase());
}

function parseAddress(address: string): ClientBuckets | null {
  if (IPV4.test(address)) return { client: address };
  const groups = expandIpv6(address);
  if (!groups) return null;
  const mapped = groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
  if (mapped) return { client: ipv4FromGroups(groups[6], groups[7]) };
  return { client: `${groups.slice(0, 4).join(':')}::/64`, network: `${groups.slice(0, 3).join(':')}::/48` };
}

function ipv4FromGroups(high: string, low: string): string {
  const [a, b] = [parseInt(high, 16), parseInt(low, 16)];
  return [a >> 8, a & 0xff, b >> 8, b & 0xff].join('.');
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros, or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const head = split(halves[0]);
  const tail = halves.length === 2 ? split(halves[1]) : [];
  // An embedded IPv4 address may end the address, standing for its last two groups.
  const last = halves.length === 2 ? tail : head;
  if (last.length > 0 && last[last.length - 1].includes('.')) {
    const ipv4 = last.pop()!;
    if (!IPV4.test(ipv4)) return null;
    const octets = ipv4.split('.').map(Number);
    last.push(((octets[0] << 8) | octets[1]).toString(16), ((octets[2] << 8) | octets[3]).toString(16));
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return groups.map((group) => group.replace(/^0+(?=.)/, ''));
}
