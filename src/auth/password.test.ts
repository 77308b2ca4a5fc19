import { describe, expect, it } from 'vitest';
import { PBKDF2_MAX_ITERATIONS } from '../config';
import { derivationsDuring, pbkdf2Iterations } from '../../test/support/pbkdf2-limit';
import {
  hashPassword,
  MalformedPasswordHashError,
  needsRehash,
  parseHash,
  PepperMismatchError,
  PepperMissingError,
  pepperId,
  verifyPassword,
} from './password';

// Made with Node's crypto.pbkdf2Sync (an independent implementation), salt 00..0f, 100,000 iterations.
const NODE_VECTORS = [
  ['correct horse battery staple', 'pbkdf2-sha512$100000$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
  ['pässwörd-ünïcödé 🔐', 'pbkdf2-sha512$100000$AAECAwQFBgcICQoLDA0ODw==$1uURXa3e3krcyLhEt9eaIAUAm0GGXJRYmbYOUIF09s0='],
] as const;

// ASP.NET Core Identity V3 hashes made with Node's crypto.pbkdf2Sync: 0x01 | PRF | iterations | salt length | salt | key.
const ASPNET_V3 = {
  net7Sha512: 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==',
  net6Sha256: 'AQAAAAEAACcQAAAAEPDh0sO0pZaHeGlaSzwtHg+ePPLz5DT4E+44K8u7Dn0IG9HCLnHdVttiAg/ZGFt2gQ==',
  unicode: 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg/bPe1zP3QB5XJs3G3xpi8VJvcrgVwKW6xxNFRSXHtpNg==',
  sixHundredThousand: 'AQAAAAIACSfAAAAAEPDh0sO0pZaHeGlaSzwtHg+MzowvjYGG0xNsqePdoOhWHTEfr7GLaJ4zLZb6MvSJFg==',
};

describe('imported ASP.NET Core Identity V3 hashes', () => {
  it.each([
    ['HMAC-SHA-512, 100,000 iterations (.NET 7+)', 'Imported-Pa55word!', ASPNET_V3.net7Sha512],
    ['HMAC-SHA-256, 10,000 iterations (.NET 6 and earlier)', 'Imported-Pa55word!', ASPNET_V3.net6Sha256],
    ['a non-ASCII password', 'pässwörd-ünïcödé 🔐', ASPNET_V3.unicode],
  ])('should verify %s and mark it for an upgrade', async (_name, password, stored) => {
    await expect(verifyPassword(password, stored)).resolves.toBe(true);
    await expect(verifyPassword(`${password}?`, stored)).resolves.toBe(false);
    await expect(needsRehash(stored)).resolves.toBe(true);
  });

  it('should fail closed, without deriving, on a hash above the production iteration ceiling', async () => {
    const asked = await derivationsDuring(() =>
      expect(verifyPassword('Imported-Pa55word!', ASPNET_V3.sixHundredThousand)).rejects.toBeInstanceOf(
        MalformedPasswordHashError,
      ),
    );
    expect(asked).toEqual([]);
  });
});

describe('pepper', () => {
  const pepper = 'a-server-side-secret-of-enough-length';
  const next = 'the-pepper-that-replaces-it-in-a-rotation';

  it('should record that a hash is peppered, and with which pepper, and need that pepper to verify it', async () => {
    const stored = await hashPassword('peppered passphrase', { current: pepper });
    expect(stored.startsWith(`pbkdf2-sha512-peppered.${await pepperId(pepper)}$100000$`)).toBe(true);
    await expect(verifyPassword('peppered passphrase', stored, { current: pepper })).resolves.toBe(true);
    await expect(verifyPassword('wrong passphrase', stored, { current: pepper })).resolves.toBe(false);
    await expect(needsRehash(stored, { current: pepper })).resolves.toBe(false);
  });

  it('should fail closed when a peppered hash is checked without the pepper', async () => {
    const stored = await hashPassword('peppered passphrase', { current: pepper });
    await expect(verifyPassword('peppered passphrase', stored)).rejects.toBeInstanceOf(PepperMissingError);
  });

  it('should call another pepper without the previous one an operator error naming ids, never a pepper', async () => {
    const stored = await hashPassword('peppered passphrase', { current: pepper });

    const error = await verifyPassword('peppered passphrase', stored, { current: next }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PepperMismatchError);
    const { message } = error as Error;
    expect(message).toContain(await pepperId(pepper));
    expect(message).toContain(await pepperId(next));
    expect(message).toContain('PASSWORD_PEPPER_PREVIOUS');
    expect(message).not.toContain(pepper);
    expect(message).not.toContain(next);
  });

  it('should verify a hash of the previous pepper during a rotation, and mark it for a rehash under the new one', async () => {
    const rotation = { current: next, previous: pepper };
    const stored = await hashPassword('peppered passphrase', { current: pepper });

    await expect(verifyPassword('peppered passphrase', stored, rotation)).resolves.toBe(true);
    await expect(verifyPassword('wrong passphrase', stored, rotation)).resolves.toBe(false);
    await expect(needsRehash(stored, rotation)).resolves.toBe(true);
    const rehashed = await hashPassword('peppered passphrase', rotation);
    await expect(needsRehash(rehashed, rotation)).resolves.toBe(false);
    await expect(verifyPassword('peppered passphrase', rehashed, { current: next })).resolves.toBe(true);
  });

  it('should take a peppered hash from before pepper ids as made with the previous pepper during a rotation, else the current', async () => {
    const withId = await hashPassword('peppered passphrase', { current: pepper });
    const legacy = withId.replace(/^pbkdf2-sha512-peppered\.[0-9a-f]{8}\$/, 'pbkdf2-sha512-peppered$');

    await expect(verifyPassword('peppered passphrase', legacy, { current: pepper })).resolves.toBe(true);
    await expect(verifyPassword('peppered passphrase', legacy, { current: next, previous: pepper })).resolves.toBe(true);
    await expect(needsRehash(legacy, { current: pepper })).resolves.toBe(true);
  });

  it('should refuse a malformed pepper id before any derivation', () => {
    expect(() => parseHash('pbkdf2-sha512-peppered.XYZ$100000$AAAAAAAAAAAAAAAAAAAAAA==$' + 'A'.repeat(43) + '=')).toThrow(MalformedPasswordHashError);
  });

  it('should mark an unpeppered hash for an upgrade once a pepper is configured', async () => {
    const stored = await hashPassword('plain passphrase');
    await expect(verifyPassword('plain passphrase', stored, { current: pepper })).resolves.toBe(true);
    await expect(needsRehash(stored, { current: pepper })).resolves.toBe(true);
  });
});

describe('password hashing', () => {
  it('should store scheme, the production iteration ceiling, a 128-bit salt and a 256-bit key', async () => {
    const stored = await hashPassword('a long enough passphrase');
    const [scheme, iterations, salt, key] = stored.split('$');
    expect(scheme).toBe('pbkdf2-sha512');
    expect(Number(iterations)).toBe(100_000);
    expect(atob(salt)).toHaveLength(16);
    expect(atob(key)).toHaveLength(32);
    await expect(needsRehash(stored)).resolves.toBe(false);
  });

  it.each(NODE_VECTORS)('should verify the independent vector for %j', async (password, stored) => {
    await expect(verifyPassword(password, stored)).resolves.toBe(true);
    await expect(verifyPassword(`${password}x`, stored)).resolves.toBe(false);
  });

  it('should hash the same password differently each time, and verify both', async () => {
    const [first, second] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(first).not.toBe(second);
    await expect(verifyPassword('same password', first)).resolves.toBe(true);
    await expect(verifyPassword('same password', second)).resolves.toBe(true);
  });

  it('should reject a wrong password, including one differing only in case', async () => {
    const stored = await hashPassword('Case Matters Here');
    await expect(verifyPassword('case matters here', stored)).resolves.toBe(false);
  });

  it('should treat the NFC and NFD forms of a password as the same password', async () => {
    const nfc = 'Crème brûlée à la française'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    await expect(verifyPassword(nfd, await hashPassword(nfc))).resolves.toBe(true);
    await expect(verifyPassword(nfc, await hashPassword(nfd))).resolves.toBe(true);
  });

  it('should hash and verify long and non-Latin input', async () => {
    const password = '密码🔐'.repeat(40);
    await expect(verifyPassword(password, await hashPassword(password))).resolves.toBe(true);
  });

  it('should never ask PBKDF2 for more than the production ceiling', async () => {
    const asked = await derivationsDuring(async () => verifyPassword('x', await hashPassword('x')));
    expect(asked).toEqual([PBKDF2_MAX_ITERATIONS, PBKDF2_MAX_ITERATIONS]);
    expect(Math.max(...pbkdf2Iterations)).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
  });

  it('should run under a deriveBits that refuses more than 100,000 iterations, as production does', async () => {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('x'), 'PBKDF2', false, ['deriveBits']);
    const params = { name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(16) };
    await expect(crypto.subtle.deriveBits({ ...params, iterations: 100_001 }, key, 256)).rejects.toThrow(/100000/);
    await expect(crypto.subtle.deriveBits({ ...params, iterations: 100_000 }, key, 256)).resolves.toBeInstanceOf(
      ArrayBuffer,
    );
  });

  it('should mark hashes with fewer iterations for an upgrade', async () => {
    await expect(
      needsRehash('pbkdf2-sha512$10000$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='),
    ).resolves.toBe(true);
  });

  it.each([
    ['an unknown scheme', 'bcrypt$10$abc$def'],
    ['too many iterations', 'pbkdf2-sha512$100001$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
    ['absurd iterations', 'pbkdf2-sha512$999999999999$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
    ['too few iterations', 'pbkdf2-sha512$1$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
    ['a short salt', 'pbkdf2-sha512$100000$AAEC$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
    ['a salt that is not base64', 'pbkdf2-sha512$100000$!!!!$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw='],
    ['a missing key', 'pbkdf2-sha512$100000$AAECAwQFBgcICQoLDA0ODw==$'],
    ['too few parts', 'pbkdf2-sha512$100000'],
    ['an empty string', ''],
  ])('should fail closed, without deriving, on %s', async (_name, stored) => {
    const asked = await derivationsDuring(() =>
      expect(verifyPassword('anything', stored)).rejects.toBeInstanceOf(MalformedPasswordHashError),
    );
    expect(asked).toEqual([]);
  });
});
