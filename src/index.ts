import { app } from './app';
import { handleQueue } from './events/consumer';
import { sweepOutbox } from './events/sweep';

export { TenantSessions } from './sessions/tenant-sessions';
export type { AppType } from './app';

export default {
  fetch: app.fetch,
  /** Webhook deliveries and dead letters (src/events/consumer.ts). */
  queue: (batch, env) => handleQueue(batch, env),
  /** The cron trigger of wrangler.toml: the outbox sweep. */
  scheduled: (controller, env) => sweepOutbox(env, controller.scheduledTime),
} satisfies ExportedHandler<Env>;
