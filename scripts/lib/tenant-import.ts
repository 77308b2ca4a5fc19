// The import of existing tenants as the operator CLI runs it (scripts/tenants.mjs): the file read,
// split into calls the route takes, sent one after another, and the answers added up with indexes
// relative to the whole file. No key handling here: the caller passes a server key.

/**
 * The route's limits, MAX_IMPORT_TENANTS and MAX_IMPORT_BODY_BYTES of src/config.ts (which plain Node
 * cannot import: it reads package.json); test/node/tenants-cli.test.ts checks that they agree.
 */
export const ROUTE_LIMITS = { tenants: 1_000, bodyBytes: 1024 * 1024 };
/** A call's JSON stays this far under the route's body limit, for the envelope around it. */
const CALL_BYTES = Math.floor(ROUTE_LIMITS.bodyBytes * 0.9);

/** The tenants of an import file: `{ "tenants": [...] }` or a bare array. Throws with a reason otherwise. */
export function tenantsOfFile(text: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`the file is not JSON (${(error as Error).message})`, { cause: error });
  }
  const tenants = Array.isArray(parsed) ? parsed : (parsed as { tenants?: unknown } | null)?.tenants;
  if (!Array.isArray(tenants)) throw new Error('the file must hold { "tenants": [ ... ] } or a JSON array of tenants');
  if (tenants.length === 0) throw new Error('the file holds no tenants');
  return tenants;
}

export interface ImportCall {
  /** The file index of the call's first entry. */
  offset: number;
  tenants: unknown[];
}

export interface ImportOutcome {
  total: number;
  imported: { index: number; id: string }[];
  skipped: { index: number; code: string; message?: string }[];
  /** The call that failed: the file index of its first entry, and why. */
  failure: { from: number; reason: string } | null;
}

type CallReport = ImportCall & ({ imported: number; skipped: number } | { failed: string });

type Answer = { ok: true; status: number; data: Pick<ImportOutcome, 'imported' | 'skipped'> } | { ok: false; status: number; reason: string };

/**
 * The calls an import of `tenants` takes, in file order: at most ROUTE_LIMITS.tenants each and at most
 * CALL_BYTES of JSON, each with the file index of its first entry.
 */
export function importCalls(tenants: unknown[], { maxTenants = ROUTE_LIMITS.tenants, maxBytes = CALL_BYTES } = {}): ImportCall[] {
  const calls: (ImportCall & { bytes: number })[] = [];
  let current: ImportCall & { bytes: number } = { offset: 0, tenants: [], bytes: 0 };
  tenants.forEach((tenant, index) => {
    const bytes = new TextEncoder().encode(JSON.stringify(tenant) ?? 'null').byteLength + 1;
    if (current.tenants.length > 0 && (current.tenants.length >= maxTenants || current.bytes + bytes > maxBytes)) {
      calls.push(current);
      current = { offset: index, tenants: [], bytes: 0 };
    }
    current.tenants.push(tenant);
    current.bytes += bytes;
  });
  calls.push(current);
  return calls.map(({ offset, tenants: part }) => ({ offset, tenants: part }));
}

/**
 * Sends the calls to `base` with `key`, one after another, and stops at the first that fails.
 * Returns what was imported and skipped (file indexes) and, if a call failed, why and from which
 * entry on nothing was imported. `onCall` hears of each call's outcome.
 */
export async function runImport(options: {
  base: string;
  key: string;
  tenants: unknown[];
  fetchImpl?: typeof fetch;
  onCall?: (report: CallReport) => void;
  /** How many times to try again, 5 seconds apart, while the key is refused as unknown. */
  retryUnauthorized?: number;
}): Promise<ImportOutcome> {
  const { base, key, tenants, fetchImpl = fetch, onCall = () => {}, retryUnauthorized = 0 } = options;
  const result: ImportOutcome = { total: tenants.length, imported: [], skipped: [], failure: null };
  for (const call of importCalls(tenants)) {
    let answer: Answer;
    for (let attempt = 0; ; attempt++) {
      answer = await send(fetchImpl, base, key, call.tenants);
      // A key written to a deployed KV namespace may take up to a minute to be seen everywhere.
      if (answer.status !== 401 || attempt >= retryUnauthorized) break;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
    if (!answer.ok) {
      result.failure = { from: call.offset, reason: answer.reason };
      onCall({ ...call, failed: answer.reason });
      return result;
    }
    const { imported, skipped } = answer.data;
    result.imported.push(...imported.map((entry) => ({ ...entry, index: entry.index + call.offset })));
    result.skipped.push(...skipped.map((entry) => ({ ...entry, index: entry.index + call.offset })));
    onCall({ ...call, imported: imported.length, skipped: skipped.length });
  }
  return result;
}

async function send(fetchImpl: typeof fetch, base: string, key: string, tenants: unknown[]): Promise<Answer> {
  let response: Response;
  try {
    response = await fetchImpl(`${base.replace(/\/+$/, '')}/v1/admin/tenants/import`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
      body: JSON.stringify({ tenants }),
    });
  } catch (error) {
    const { cause, message } = error as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, status: 0, reason: `could not reach ${base}: ${cause?.code || cause?.message || message}` };
  }
  const text = await response.text();
  let body: { succeeded?: boolean; data?: Answer & { imported?: unknown; skipped?: unknown }; errors?: { code: string; message: string }[] } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // reported below
  }
  if (response.ok && body?.succeeded && Array.isArray(body.data?.imported) && Array.isArray(body.data?.skipped)) {
    return { ok: true, status: response.status, data: body.data as unknown as Pick<ImportOutcome, 'imported' | 'skipped'> };
  }
  const error = body?.errors?.[0];
  const detail = error ? `${error.code}: ${error.message}` : 'not the API\'s envelope';
  return { ok: false, status: response.status, reason: `HTTP ${response.status} ${detail}` };
}

/** Indexes as a short list: at most `shown` of them, then how many more. */
const indexList = (indexes: number[], shown = 20) =>
  indexes.length <= shown ? indexes.join(', ') : `${indexes.slice(0, shown).join(', ')} and ${indexes.length - shown} more`;

/** The summary lines of a run, skipped entries grouped by code with their file indexes. */
export function summaryLines(result: ImportOutcome): string[] {
  const lines = [`Imported ${result.imported.length} of ${result.total} tenants; skipped ${result.skipped.length}.`];
  const byCode = new Map<string, ImportOutcome['skipped']>();
  for (const entry of result.skipped) byCode.set(entry.code, [...(byCode.get(entry.code) ?? []), entry]);
  for (const [code, entries] of [...byCode].sort(([a], [b]) => a.localeCompare(b))) {
    const messages = [...new Set(entries.map((entry) => entry.message))].slice(0, 3).join('; ');
    lines.push(`  ${code} ${entries.length}: entries ${indexList(entries.map((entry) => entry.index))}${messages ? ` (${messages})` : ''}`);
  }
  if (result.failure) {
    lines.push(
      `Stopped at entry ${result.failure.from}: ${result.failure.reason}. Entries from ${result.failure.from} on were not imported. ` +
        'Running the same command again is safe: what is already imported is skipped as USER_ALREADY_EXISTS.',
    );
  }
  return lines;
}
