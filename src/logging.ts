import type { Context } from 'hono';

type Level = 'info' | 'warn' | 'error';

/**
 * One structured JSON line per event, tagged with the request id.
 * Callers pass identifiers and outcomes only; never a password, token, key or hash.
 */
export function logEvent(c: Context, level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    event,
    requestId: c.get('requestId'),
    method: c.req.method,
    path: c.req.path,
    ...fields,
  });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
