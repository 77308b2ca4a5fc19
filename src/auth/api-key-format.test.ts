import { describe, expect, it } from 'vitest';
import {
  API_KEY_ID_PATTERN,
  API_KEY_PATTERN,
  API_KEY_SECRET_BYTES,
  API_KEY_TEXT_PREFIX,
  apiKeyStorageKey,
  businessOf,
  kindOf,
  newApiKeyRecord,
} from './api-key-format';
import { randomBytes, sha256Hex, toBase64Url } from './encoding';

describe('application key format', () => {
  it('should match a key made as the CLI makes it, and nothing shorter or longer', () => {
    const key = `${API_KEY_TEXT_PREFIX}${toBase64Url(randomBytes(API_KEY_SECRET_BYTES))}`;
    expect(key).toMatch(API_KEY_PATTERN);
    expect(key.slice(0, -1)).not.toMatch(API_KEY_PATTERN);
    expect(`${key}A`).not.toMatch(API_KEY_PATTERN);
  });

  it('should store a key under its hash and give it an id that finds it by prefix', async () => {
    const hash = await sha256Hex(`${API_KEY_TEXT_PREFIX}${toBase64Url(randomBytes(API_KEY_SECRET_BYTES))}`);
    const record = newApiKeyRecord(hash, 'ops', new Date('2026-01-02T03:04:05Z'));
    expect(record).toEqual({
      id: hash.slice(0, 16),
      name: 'ops',
      business: 'default',
      kind: 'publishable',
      createdAt: '2026-01-02T03:04:05.000Z',
      revokedAt: null,
    });
    expect(record.id).toMatch(API_KEY_ID_PATTERN);
    expect(apiKeyStorageKey(hash)).toBe(`apikey:${hash}`);
    expect(apiKeyStorageKey(hash).startsWith(apiKeyStorageKey(record.id))).toBe(true);
  });

  it.each([
    { case: 'a record made before businesses', business: undefined, expected: 'default' },
    { case: 'a slug', business: 'acme-storage-2', expected: 'acme-storage-2' },
    { case: 'upper case', business: 'Acme', expected: null },
    { case: 'a colon, which would split object names', business: 'acme:x', expected: null },
    { case: 'a leading hyphen', business: '-acme', expected: null },
    { case: '64 characters', business: 'a'.repeat(64), expected: null },
  ])('should read the business of $case as $expected', ({ business, expected }) => {
    const record = { ...newApiKeyRecord('0'.repeat(64), 'ops', new Date()), business };
    expect(businessOf(record)).toBe(expected);
  });

  it.each([
    { case: 'a record made before kinds', kind: undefined, expected: 'publishable' },
    { case: 'a server key', kind: 'server', expected: 'server' },
    { case: 'a publishable key', kind: 'publishable', expected: 'publishable' },
    { case: 'an unknown kind', kind: 'admin', expected: 'publishable' },
  ])('should read the kind of $case as $expected', ({ kind, expected }) => {
    const record = { ...newApiKeyRecord('0'.repeat(64), 'ops', new Date()), kind } as Parameters<typeof kindOf>[0];
    expect(kindOf(record)).toBe(expected);
  });
});
