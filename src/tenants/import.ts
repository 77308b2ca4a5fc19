import type { z } from '@hono/zod-openapi';
import { importableHashRefusal } from '../auth/importable-hash';
import type { ErrorCode } from '../errors';
import { IMPORT_SKIP_CODES, type ImportResult, type ImportTenant } from '../schemas';
import type { Deps } from './deps';
import { insertImportedTenants, type ImportedTenant } from '../db/import';
import { newTenantId } from '../db/tenants';

type Entry = z.output<typeof ImportTenant>;
type Result = z.output<typeof ImportResult>;
type Skip = Result['skipped'][number];

/** An import entry as the route's validation left it: valid, or skipped with its field's code. */
export type ImportEntry = { index: number; valid: true; value: Entry } | { index: number; valid: false; code: ErrorCode; message: string };

/** Every field of ImportTenant has its INVALID_PARAM_ code among the skip codes; anything else would be a bug here. */
const skipCode = (code: ErrorCode): Skip['code'] => (IMPORT_SKIP_CODES as readonly ErrorCode[]).includes(code) ? (code as Skip['code']) : 'INVALID_PARAM_TENANTS';

/**
 * Creates the key's business's tenants from an import, with the hashes they had elsewhere: a user
 * name the business already has, or an earlier entry of the same call has, is skipped with
 * USER_ALREADY_EXISTS, so importing the same list again imports nothing. Hashes are checked for
 * whether they could ever verify a login here, never derived; the first login verifies and replaces
 * each. One D1 statement for all of them.
 */
export async function importTenants(deps: Pick<Deps, 'db' | 'business' | 'pepper' | 'log'>, entries: ImportEntry[]): Promise<Result> {
  const skipped: Skip[] = [];
  const rows: (ImportedTenant & { index: number })[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (!entry.valid) {
      skipped.push({ index: entry.index, code: skipCode(entry.code), message: entry.message });
      continue;
    }
    const { index, value } = entry;
    const refusal = await importableHashRefusal(value.passwordHash, deps.pepper);
    if (refusal) {
      skipped.push({ index, code: 'INVALID_PARAM_PASSWORD_HASH', message: `passwordHash ${refusal}` });
    } else if (seen.has(value.userName)) {
      skipped.push({ index, code: 'USER_ALREADY_EXISTS', message: 'userName is the same as an earlier entry of this import' });
    } else {
      seen.add(value.userName);
      rows.push({ index, id: newTenantId(), ...value, phoneNumber: value.phoneNumber ?? null });
    }
  }
  const inserted = await insertImportedTenants(deps.db, deps.business, rows, Date.now());
  const imported: Result['imported'] = [];
  for (const row of rows) {
    if (inserted.has(row.id)) imported.push({ index: row.index, id: row.id });
    else skipped.push({ index: row.index, code: 'USER_ALREADY_EXISTS', message: 'userName is taken in this business' });
  }
  skipped.sort((a, b) => a.index - b.index);
  deps.log('info', 'tenants.imported', { imported: imported.length, skipped: skipped.length });
  return { imported, skipped };
}
