/** The cron sweep: sends outbox rows no request handed to the queue (pruning is retention.ts). */
import { OUTBOX_SWEEP_AFTER_MS } from '../config';
import { logJob } from '../logging';
import { openDatabase } from '../db/database';
import { unsentEvents } from '../db/outbox';
import { enqueueEvents } from './publish';

const PAGE = 100;
/** Bounds one run; whatever is left waits for the next. */
const MAX_PAGES = 10;

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
  logJob('info', 'outbox.swept', { requeued });
}
