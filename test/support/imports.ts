import { uniqueEmail } from './builders';
import { IMPORTED_HASH, IMPORTED_PASSWORD } from './imported-hash';
import { call, type CallOptions } from './request';
import { ROUTES } from './routes';
import { rememberSecret } from './secret-watch';

/** Hashes of IMPORTED_PASSWORD (the vectors of src/auth/password.test.ts, made with Node's crypto), as an import brings them. */
export const IMPORT_HASHES = {
  /** ASP.NET Core Identity V3, HMAC-SHA-512, 100,000 iterations (.NET 7+). */
  v3Sha512: rememberSecret(IMPORTED_HASH),
  /** ASP.NET Core Identity V3, HMAC-SHA-256, 10,000 iterations (.NET 6 and earlier). */
  v3Sha256: rememberSecret('AQAAAAEAACcQAAAAEPDh0sO0pZaHeGlaSzwtHg+ePPLz5DT4E+44K8u7Dn0IG9HCLnHdVttiAg/ZGFt2gQ=='),
  /** V3 with 600,000 iterations (an app may configure any count): more than Cloudflare derives, so it could never log in. */
  v3AboveCeiling: rememberSecret('AQAAAAIACSfAAAAAEPDh0sO0pZaHeGlaSzwtHg+MzowvjYGG0xNsqePdoOhWHTEfr7GLaJ4zLZb6MvSJFg=='),
};
export { IMPORTED_PASSWORD };

/** This service's own format, unpeppered, of `correct horse battery staple` (Node's crypto, salt 00..0f). */
export const NATIVE_HASH = rememberSecret('pbkdf2-sha512$100000$AAECAwQFBgcICQoLDA0ODw==$hzaYXq3InP7jFNdKFTiXBaKMc6Hki6FR8fwp8lRCNSw=');
export const NATIVE_PASSWORD = 'correct horse battery staple';

export interface ImportEntry {
  userName?: unknown;
  firstName?: unknown;
  lastName?: unknown;
  phoneNumber?: unknown;
  passwordHash?: unknown;
}

/** One valid entry of an import, with a fresh user name. */
export const importEntry = (overrides: ImportEntry = {}): ImportEntry => ({
  userName: uniqueEmail(),
  firstName: 'Ima',
  lastName: 'Ported',
  phoneNumber: '+15551234567',
  passwordHash: IMPORT_HASHES.v3Sha512,
  ...overrides,
});

export interface ImportData {
  imported: { index: number; id: string }[];
  skipped: { index: number; code: string; message: string }[];
}

export const importReply = (apiKey: string | null, body: unknown, options: Omit<CallOptions, 'method' | 'body' | 'apiKey'> = {}) =>
  call<ImportData>(ROUTES.import.path, { method: ROUTES.import.method, apiKey, body, ...options });
