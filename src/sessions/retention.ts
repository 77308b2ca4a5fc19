/**
 * An object keeps storage only while it holds something: a login for a made-up user name, or any
 * object a request created and left empty, must not cost storage for ever. Every object has an
 * alarm while it has storage (one created without anything due checks in after
 * EMPTY_OBJECT_CHECK_MS), the alarm prunes what has expired, and an object left with nothing deletes
 * its storage and its alarm.
 */
import { EMPTY_OBJECT_CHECK_MS, RETENTION_RECHECK_MS } from '../config';

/** Sets the alarm to check on the object unless one is set already. */
export async function keepAlarmSet(storage: DurableObjectStorage, now: number): Promise<void> {
  if ((await storage.getAlarm()) === null) await storage.setAlarm(now + EMPTY_OBJECT_CHECK_MS);
}

/** Whether no table of the object holds a row (its schema's own bookkeeping aside) and its key-value storage is empty. */
export function holdsNothing(storage: DurableObjectStorage): boolean {
  const { sql } = storage;
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
    .toArray()
    .map((row) => row.name);
  if (tables.some((table) => sql.exec(`SELECT 1 FROM "${table}" LIMIT 1`).toArray().length > 0)) return false;
  for (const _entry of storage.kv.list()) return false;
  return true;
}

/**
 * After the alarm pruned: sets it again for the earliest of `due`, or, when nothing is due, deletes
 * the object's storage if it holds nothing (returns true) and checks again much later if it does.
 */
export async function scheduleOrDelete(storage: DurableObjectStorage, due: number[], now: number): Promise<boolean> {
  if (due.length > 0) {
    await storage.setAlarm(Math.max(Math.min(...due), now + 1000));
    return false;
  }
  if (!holdsNothing(storage)) {
    // Rows no module gave a time to: looked at again, never left without an alarm.
    await storage.setAlarm(now + RETENTION_RECHECK_MS);
    return false;
  }
  // deleteAll removes the alarm too from compatibility date 2026-02-24; said here for older runtimes.
  await storage.deleteAlarm();
  await storage.deleteAll();
  return true;
}
