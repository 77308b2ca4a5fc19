import { recordAuditEvent } from '../db/tenants';
import { describeError } from '../errors';
import type { Deps } from './deps';

type AuditEvent = Parameters<typeof recordAuditEvent>[1];

/**
 * Writes an audit row of a failed check, which the check's answer never waits on being stored: a
 * D1 failure is logged without the query's parameters (see error-description.ts) and swallowed.
 */
export async function recordAuditEventBestEffort(deps: Pick<Deps, 'db' | 'log'>, event: AuditEvent): Promise<void> {
  try {
    await recordAuditEvent(deps.db, event);
  } catch (cause) {
    deps.log('error', 'audit.write_failed', { event: event.event, outcome: event.outcome, cause: describeError(cause) });
  }
}
