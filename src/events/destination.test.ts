import { describe, expect, it } from 'vitest';
import { destinationPolicyFrom, destinationProblem } from './destination';

const deployed = { allowLoopback: false };
const local = { allowLoopback: true };

describe('destinationProblem', () => {
  it.each([
    'https://hooks.example.com/storegister',
    'https://hooks.example.com:8443/in?source=storegister',
    'https://93.184.216.34/in',
    'https://[2606:4700::1111]/in',
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
