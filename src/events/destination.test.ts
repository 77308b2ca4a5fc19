import { describe, expect, it } from 'vitest';
import { destinationPolicyFrom, destinationProblem } from './destination';

const deployed = { allowLoopback: false };
const local = { allowLoopback: true };

describe('destinationProblem', () => {
  it.each([
    'https://hooks.example.com/storegister',
    'https://hooks.example.com:443/in?source=storegister',
    'https://93.184.216.34/in',
    'https://[2606:4700::1111]/in',
    'https://[::ffff:93.184.216.34]/in',
    'https://[64:ff9b::93.184.216.34]/in',
    'https://[2002:5db8:d822::1]/in',
  ])('should accept %s when deployed', (url) => {
    expect(destinationProblem(url, deployed)).toBeNull();
  });

  it.each([
    ['plain http', 'http://hooks.example.com/in'],
    ['loopback', 'https://127.0.0.1/in'],
    ['loopback spelled as one number', 'https://2130706433/in'],
    ['loopback in hex', 'https://0x7f.1/in'],
    ['localhost', 'https://localhost/in'],
    ['a subdomain of localhost', 'https://api.localhost/in'],
    ['10/8', 'https://10.0.0.8/in'],
    ['172.16/12', 'https://172.31.255.1/in'],
    ['192.168/16', 'https://192.168.1.1/in'],
    ['link-local (cloud metadata)', 'https://169.254.169.254/latest'],
    ['carrier-grade NAT', 'https://100.64.0.1/in'],
    ['the unspecified address', 'https://0.0.0.0/in'],
    ['IPv6 loopback', 'https://[::1]/in'],
    ['IPv6 unique local', 'https://[fd00::1]/in'],
    ['IPv6 link-local', 'https://[fe80::1]/in'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/in'],
    ['IPv4-mapped private', 'https://[::ffff:10.0.0.1]/in'],
    ['IPv4-mapped private in hex', 'https://[::ffff:a00:1]/in'],
    ['IPv4-mapped link-local', 'https://[::ffff:169.254.169.254]/in'],
    ['IPv4-translated private', 'https://[::ffff:0:10.0.0.1]/in'],
    ['IPv4-compatible private', 'https://[::10.0.0.1]/in'],
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/in'],
    ['the IPv6 unspecified address', 'https://[::]/in'],
    ['NAT64 of a private address', 'https://[64:ff9b::10.0.0.1]/in'],
    ['NAT64 of loopback', 'https://[64:ff9b::7f00:1]/in'],
    ['local-use NAT64', 'https://[64:ff9b:1::5db8:d822]/in'],
    ['6to4 of a private address', 'https://[2002:a00:1::]/in'],
    ['6to4 of loopback', 'https://[2002:7f00:1::1]/in'],
    ['Teredo, whose IPv4 address is hidden', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in'],
    ['IPv6 site-local', 'https://[fec0::1]/in'],
    ['IPv6 multicast', 'https://[ff02::1]/in'],
    ['IPv6 documentation', 'https://[2001:db8::1]/in'],
    ['localhost with a trailing dot', 'https://localhost./in'],
    ['a public name with a trailing dot', 'https://hooks.example.com./in'],
    ['a private address with a trailing dot', 'https://10.0.0.8./in'],
    ['a port other than 443', 'https://hooks.example.com:8443/in'],
    ['port 80 over https', 'https://hooks.example.com:80/in'],
    ['an intranet name', 'https://intranet/in'],
    ['.internal', 'https://hooks.corp.internal/in'],
    ['.local', 'https://printer.local/in'],
    ['credentials in the URL', 'https://user:pass@hooks.example.com/in'],
    ['not a URL', 'hooks.example.com/in'],
    ['another scheme', 'ftp://hooks.example.com/in'],
  ])('should refuse %s when deployed', (_case, url) => {
    expect(destinationProblem(url, deployed)).toEqual(expect.any(String));
  });

  it.each(['http://127.0.0.1:8790/webhooks', 'http://localhost:8790/', 'http://[::1]:8790/', 'https://hooks.example.com/in', 'https://10.0.0.8/in'])(
    'should accept %s locally',
    (url) => {
      expect(destinationProblem(url, local)).toBeNull();
    },
  );

  it.each(['http://hooks.example.com/in', 'http://10.0.0.8/in', 'ftp://127.0.0.1/in', 'https://user:pw@127.0.0.1/'])(
    'should refuse %s even locally',
    (url) => {
      expect(destinationProblem(url, local)).toEqual(expect.any(String));
    },
  );
});

describe('destinationPolicyFrom', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['TRUE', false],
    [undefined, false],
  ])('should allow loopback for WEBHOOK_ALLOW_LOOPBACK=%s: %s', (value, allowLoopback) => {
    expect(destinationPolicyFrom({ WEBHOOK_ALLOW_LOOPBACK: value })).toEqual({ allowLoopback });
  });
});
