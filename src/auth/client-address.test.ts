import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address';

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
    expect(clientAddress(header)).toBe(expected);
  });

  it('should put two addresses of one /64 in one bucket and of two /64s in two', () => {
    expect(clientAddress('2001:db8:aa:bb::1')).toBe(clientAddress('2001:db8:aa:bb:ffff::2'));
    expect(clientAddress('2001:db8:aa:bb::1')).not.toBe(clientAddress('2001:db8:aa:bc::1'));
  });
});
