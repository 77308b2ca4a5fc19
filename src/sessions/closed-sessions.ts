/**
 * Whether the business closed the tenant's sessions (it disabled or deleted the tenant), kept in the
 * key-value storage of the tenant's object. A login reads the tenant from D1 and verifies the password
 * before it asks this object for a session; the business can disable or delete the tenant in between.
 * The object runs one request at a time, so the mark, set together with revoking every session,
 * leaves no window: a login that read the tenant before the business acted gets no session. The mark
 * outlives every such login (SESSIONS_CLOSED_MEMORY_MS); from then on D1 alone refuses the tenant.
 */
import { SESSIONS_CLOSED_MEMORY_MS } from '../config';

const KEY = 'sessionsClosed';

/** `disabled`: until enabled again; `erased`: the tenant was deleted, and its object holds nothing else. */
export type ClosedReason = 'disabled' | 'erased';

interface Closed {
  reason: ClosedReason;
  at: number;
}

export function close(kv: SyncKvStorage, reason: ClosedReason, now: number): void {
  kv.put<Closed>(KEY, { reason, at: now });
}

/** Enabling the tenant again opens its sessions; an erased tenant stays closed (D1 no longer has it anyway). */
export function reopen(kv: SyncKvStorage): void {
  if (kv.get<Closed>(KEY)?.reason === 'disabled') kv.delete(KEY);
}

/** Why new sessions are refused, or null when they are not. */
export function closedReason(kv: SyncKvStorage): ClosedReason | null {
  return kv.get<Closed>(KEY)?.reason ?? null;
}

/** Forgets the mark once no login that read the tenant before it can still be asking; returns when, or null when there is none. */
export function forgetOld(kv: SyncKvStorage, now: number): number | null {
  const closed = kv.get<Closed>(KEY);
  if (closed === undefined) return null;
  if (closed.at + SESSIONS_CLOSED_MEMORY_MS > now) return closed.at + SESSIONS_CLOSED_MEMORY_MS;
  kv.delete(KEY);
  return null;
}
