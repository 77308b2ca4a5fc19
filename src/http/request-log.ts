import type { MiddlewareHandler } from 'hono';
import type { Level, LoggedEvent } from '../logging';
import type { AppEnv } from './context';

const RANK: Record<Level, number> = { info: 0, warn: 1, error: 2 };

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
