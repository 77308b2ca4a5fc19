/** The cron sweep: sends outbox rows no request handed to the queue, and prunes delivered ones. */
import { OUTBOX_RETENTION_DAYS, OUTBOX_SWEEP_AFTER_MS } from '../config';
import { logJob } from '../logging';
import { openDatabase } from '../db/database';
import { pruneDelivered, unsentEvents } from '../db/outbox';
import { enqueueEvents } from './publish';

const PAGE = 100;
/** Bounds one run; whatever is left waits for the next. */
const MAX_PAGES = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `now` is the trigger's scheduled time. Rows younger than OUTBOX_SWEEP_AFTER_MS are left to the
 * request that committed them, which may still be sending.
 */
export async function sweepOutbox(env: Env, now: number): Promise<void> {
  const db = openDatabase(env.DB);
  let requeued = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const unsent = await unsentEvents(db, now - OUTBOX_SWEEP_AFTER_MS, PAGE);
    await enqueueEvents(env.EVENTS, db, unsent, now);
    requeued += unsent.length;
    if (unsent.length < PAGE) break;
  }
  const pruned = await pruneDelivered(db, now - OUTBOX_RETENTION_DAYS * DAY_MS);
  logJob('info', 'outbox.swept', { requeued, pruned });
}
