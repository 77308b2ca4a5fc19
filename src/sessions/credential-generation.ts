/**
 * The tenant's credential generation: the instant (`password_changed_at`) of the last committed
 * password change this object settled, kept in its key-value storage. A login reads the password
 * hash from D1 and verifies it before it asks this object for a session; a change can commit and
 * settle in between. The object runs one request at a time, so comparing here leaves no window:
 * a session is created only for a password at least as new as the last change settled, and a change
 * that commits but has not settled yet revokes the session when it settles.
 */
const KEY = 'passwordChangedAt';

/** Records a settled change; generations only move forward (a late, older settle changes nothing). */
export function recordChange(kv: SyncKvStorage, passwordChangedAt: number): void {
  if (passwordChangedAt > (kv.get<number>(KEY) ?? 0)) kv.put(KEY, passwordChangedAt);
}

/** Whether a login that verified the password set at `passwordChangedAt` (0: never changed) may have a session. */
export function isCurrent(kv: SyncKvStorage, passwordChangedAt: number): boolean {
  return passwordChangedAt >= (kv.get<number>(KEY) ?? 0);
}

/**
 * Forgets the generation once no login that verified an older password can still be asking for a
 * session: `keepMs` after the change (a session's whole lifetime, far beyond any request). Returns
 * when it will be forgotten, or null once it is (or never was) recorded.
 */
export function forgetOld(kv: SyncKvStorage, now: number, keepMs: number): number | null {
  const changedAt = kv.get<number>(KEY);
  if (changedAt === undefined) return null;
  if (changedAt + keepMs > now) return changedAt + keepMs;
  kv.delete(KEY);
  return null;
}
