import type { Context } from 'hono';

export type Level = 'info' | 'warn' | 'error';

export interface LoggedEvent {
  event: string;
  level: Level;
  [field: string]: unknown;
}

/**
 * Records an event of this request, written out with the request's one log line.
 * Callers pass identifiers and outcomes only; never a password, token, key or hash.
 */
export function logEvent(c: Context, level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const events: LoggedEvent[] | undefined = c.get('logEvents');
  if (events) events.push({ event, level, ...fields });
}

/** How a workflow records an event without holding the request's context; see `logEvent`. */
export type Log = (level: Level, event: string, fields?: Record<string, unknown>) => void;

/** One JSON line for work outside a request: queue batches, the cron sweep, Durable Object alarms. */
export const logJob: Log = (level, event, fields = {}) => {
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};
