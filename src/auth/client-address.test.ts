import { describe, expect, it } from 'vitest';
import { clientAddress, parseForwardedAddress } from './client-address';

describe('clientAddress', () => {
  it.each([
    [undefined, 'unknown'],
    ['', 'unknown'],
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not:an:address::x', 'not:an:address::x'],
  ])('should count %j as %j', (header, expected) => {
    expect(clientAddress(header).client).toBe(expected);
  });

  it('should put two addresses of one /64 in one bucket and of two /64s in two', () => {
    expect(clientAddress('2001:db8:aa:bb::1')).toEqual(clientAddress('2001:db8:aa:bb:ffff::2'));
    expect(clientAddress('2001:db8:aa:bb::1').client).not.toBe(clientAddress('2001:db8:aa:bc::1').client);
  });

  it('should put two /64s of one /48 in one network, and give IPv4 none', () => {
    expect(clientAddress('2001:db8:aa:bb::1').network).toBe('2001:db8:aa::/48');
    expect(clientAddress('2001:db8:aa:ffff::1').network).toBe('2001:db8:aa::/48');
    expect(clientAddress('2001:db8:ab:bb::1').network).toBe('2001:db8:ab::/48');
    expect(clientAddress('203.0.113.7').network).toBeUndefined();
  });
});

describe('parseForwardedAddress', () => {
  it.each([
    ['198.51.100.23', '198.51.100.23'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:DB8:1:2::7', '2001:db8:1:2::/64'],
    ['::', '0:0:0:0::/64'],
    ['::ffff:198.51.100.23', '198.51.100.23'],
    ['64:ff9b::198.51.100.23', '64:ff9b:0:0::/64'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4::/64'],
  ])('should accept %j as the client %j', (header, expected) => {
    expect(parseForwardedAddress(header)?.client).toBe(expected);
  });

  it.each([
    '',
    ' 198.51.100.23',
    '198.51.100.23 ',
    '198.51.100',
    '198.51.100.256',
    '198.051.100.23',
    '198.51.100.23:443',
    '[2001:db8::1]',
    '2001:db8::1%eth0',
    '2001:db8::1::2',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '2001:db8::12345',
    '::ffff:198.51.100.256',
    '198.51.100.23, 203.0.113.9',
    'localhost',
    'x'.repeat(46),
  ])('should refuse %j', (header) => {
    expect(parseForwardedAddress(header)).toBeNull();
  });
});
