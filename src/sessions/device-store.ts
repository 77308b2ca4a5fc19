/**
 * Device tokens of one user name of one business, in the `devices` table of its login object
 * (OWASP's device cookies): a client that logged in once as this user, and presents the token again,
 * is counted apart from everyone else, so others' failures cannot lock it out.
 */
import { timingSafeEqualText } from '../auth/encoding';
import { MAX_DEVICES_PER_USER } from '../config';

/** A device token as presented: its id, and the SHA-256 of its secret. */
export interface PresentedDevice {
  id: string;
  secretHash: string;
}

export interface NewDevice extends PresentedDevice {
  tenantId: string;
  expiresAt: number;
  /** The `password_changed_at` (0: never changed) of the password this device verified. */
  verifiedGeneration: number;
}

/**
 * The `password_changed_at` of the password the token last verified when it was issued to this
 * tenant, has not expired, and its secret matches (compared in constant time); null otherwise. A
 * tenant id of null (no such user) matches no token.
 */
export function knownGeneration(sql: SqlStorage, device: PresentedDevice, tenantId: string | null, now: number): number | null {
  if (tenantId === null) return null;
  const row = sql
    .exec<{ secret_hash: string; tenant_id: string; expires_at: number; verified_generation: number }>(
      'SELECT secret_hash, tenant_id, expires_at, verified_generation FROM devices WHERE id = ?',
      device.id,
    )
    .toArray()[0];
  if (!row || row.expires_at <= now || row.tenant_id !== tenantId) return null;
  return timingSafeEqualText(row.secret_hash, device.secretHash) ? row.verified_generation : null;
}

/** Stores a new device token, forgetting the least recently used beyond MAX_DEVICES_PER_USER. */
export function remember(sql: SqlStorage, device: NewDevice, now: number): void {
  sql.exec(
    'INSERT INTO devices (id, secret_hash, tenant_id, expires_at, last_used_at, verified_generation) VALUES (?, ?, ?, ?, ?, ?)',
    device.id,
    device.secretHash,
    device.tenantId,
    device.expiresAt,
    now,
    device.verifiedGeneration,
  );
  sql.exec(
    'DELETE FROM devices WHERE id NOT IN (SELECT id FROM devices ORDER BY last_used_at DESC, id LIMIT ?)',
    MAX_DEVICES_PER_USER,
  );
}

/** A login with the token succeeded: it stays valid for another lifetime from now, and has verified the password of `generation`. */
export function renew(sql: SqlStorage, deviceId: string, expiresAt: number, generation: number, now: number): void {
  sql.exec(
    'UPDATE devices SET expires_at = ?, last_used_at = ?, verified_generation = max(verified_generation, ?) WHERE id = ?',
    expiresAt,
    now,
    generation,
    deviceId,
  );
}

export function deleteExpired(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM devices WHERE expires_at <= ?', now);
}

/** When the next device token expires, or null when there is none. */
export function nextExpiry(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT min(expires_at) AS at FROM devices').one().at;
}

/** Whether the object holds any device token, expired or not. */
export function holdsAny(sql: SqlStorage): boolean {
  return sql.exec('SELECT 1 FROM devices LIMIT 1').toArray().length > 0;
}
