/** The cron's pruning: deletes what the retention settings let go, in bounded batches. */
import { OUTBOX_RETENTION_DAYS, RETENTION_BATCH_ROWS, RETENTION_MAX_BATCHES, settingsFrom } from '../config';
import { describeError } from '../error-description';
import { logJob } from '../logging';
import { openDatabase, type Database } from '../db/database';
import { deleteAuditBatch, deleteDeliveredEventBatch, deleteFailedEventBatch } from '../db/retention';

const DAY_MS = 24 * 60 * 60 * 1000;

type DeleteBatch = (db: Database, before: number, limit: number) => Promise<number>;

/**
 * Deletes batches until one comes back short or RETENTION_MAX_BATCHES ran; a failing batch ends
 * this kind of row for the run and is logged by name and cut-down message, never its parameters.
 */
async function pruneKind(db: Database, kind: string, deleteBatch: DeleteBatch, before: number): Promise<number> {
  let deleted = 0;
  try {
    for (let batch = 0; batch < RETENTION_MAX_BATCHES; batch++) {
      const count = await deleteBatch(db, before, RETENTION_BATCH_ROWS);
      deleted += count;
      if (count < RETENTION_BATCH_ROWS) break;
    }
  } catch (error) {
    logJob('error', 'retention.failed', { kind, deleted, error: describeError(error) });
  }
  return deleted;
}

/** `now` is the trigger's scheduled time; never throws, so the rest of the cron's work is unaffected. */
export async function pruneExpired(env: Env, now: number): Promise<void> {
  const db = openDatabase(env.DB);
  const settings = settingsFrom(env);
  const pruned = {
    audit: await pruneKind(db, 'audit', deleteAuditBatch, now - settings.auditRetentionMs),
    delivered: await pruneKind(db, 'delivered', deleteDeliveredEventBatch, now - OUTBOX_RETENTION_DAYS * DAY_MS),
    failed: await pruneKind(db, 'failed', deleteFailedEventBatch, now - settings.failedEventRetentionMs),
  };
  logJob('info', 'retention.pruned', pruned);
}
