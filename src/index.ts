import { app } from './app';
import { handleQueue } from './events/consumer';
import { pruneExpired } from './events/retention';
import { sweepOutbox } from './events/sweep';

export { ClientBudget } from './sessions/client-budget';
export { TenantSessions } from './sessions/tenant-sessions';
export type { AppType } from './app';

export default {
  fetch: app.fetch,
  /** Webhook deliveries and dead letters (src/events/consumer.ts). */
  queue: (batch, env) => handleQueue(batch, env),
  /** The cron trigger of wrangler.toml: the outbox sweep, then retention (which runs even if the sweep failed). */
  scheduled: async (controller, env) => {
    try {
      await sweepOutbox(env, controller.scheduledTime);
    } finally {
      await pruneExpired(env, controller.scheduledTime);
    }
  },
} satisfies ExportedHandler<Env>;
