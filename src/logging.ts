import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './context';

export type Level = 'info' | 'warn' | 'error';

export interface LoggedEvent {
  event: string;
  level: Level;
  [field: string]: unknown;
}

const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 };

/**
 * Records an event of this request, written out with the request's one log line.
 * Callers pass identifiers and outcomes only; never a password, token, key or hash.
 */
export function logEvent(c: Context, level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const events: LoggedEvent[] | undefined = c.get('logEvents');
  if (events) events.push({ event, level, ...fields });
}

const CLIENT_REQUEST_ID = /^[\w\-=]{1,64}$/;

/** A correlation id the client sent, if it is short and plain enough to log as is. */
function clientRequestId(header: string | undefined): string | undefined {
  return header && CLIENT_REQUEST_ID.test(header) ? header : undefined;
}

/**
 * Writes one structured JSON line per request: request id, route, status, duration, error code and
 * the events recorded on the way. One line, not one per event, because every console call costs.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function logRequest(c, next) {
    const started = Date.now();
    const events: LoggedEvent[] = [];
    c.set('logEvents', events);
    c.header('X-Request-Id', c.get('requestId'));
    await next();
    const status = c.res.status;
    const statusLevel: Level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    const level = events.reduce<Level>((worst, e) => (RANK[e.level] > RANK[worst] ? e.level : worst), statusLevel);
    const line = JSON.stringify({
      time: new Date(started).toISOString(),
      level,
      requestId: c.get('requestId'),
      clientRequestId: clientRequestId(c.req.header('X-Request-Id')),
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status,
      durationMs: Date.now() - started,
      code: c.get('errorCode'),
      events,
    });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
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
