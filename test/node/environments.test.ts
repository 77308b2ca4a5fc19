import { unstable_readConfig } from 'wrangler';
import { describe, expect, it } from 'vitest';

/** undefined is the top level: production. */
const ENVIRONMENTS = [undefined, 'staging'];

/** The parts of wrangler's resolved configuration these tests read. */
interface Environment {
  name: string;
  vars: Record<string, string>;
  d1_databases: { binding: string; database_name: string }[];
  kv_namespaces: { binding: string }[];
  durable_objects: { bindings: { name: string }[] };
  queues: { producers: { binding: string; queue: string }[]; consumers: { queue: string; dead_letter_queue?: string }[] };
  ratelimits: { name: string; namespace_id: string; simple: unknown }[];
}

// Resolved as `wrangler deploy --env` resolves it (the tests run from the project folder).
const configOf = (env: string | undefined) => unstable_readConfig({ config: 'wrangler.toml', env }) as unknown as Environment;
const configs = ENVIRONMENTS.map((env) => ({ env: env ?? 'production', config: configOf(env) }));

const bindingNames = (config: Environment) =>
  [
    ...config.d1_databases.map((d) => d.binding),
    ...config.kv_namespaces.map((k) => k.binding),
    ...config.durable_objects.bindings.map((d) => d.name),
    ...config.queues.producers.map((q) => q.binding),
    ...config.ratelimits.map((r) => r.name),
  ].sort();

describe('the environments of wrangler.toml', () => {
  it('should define staging beside production', () => {
    expect(configs.map(({ config }) => config.name)).toEqual(['storegister-tenant-password-api', 'storegister-tenant-password-api-staging']);
  });

  it.each(['database', 'rate limiter', 'queue'])('should give each environment its own %s', (what) => {
    const names = configs.map(({ config }) => {
      if (what === 'database') return config.d1_databases[0].database_name;
      if (what === 'rate limiter') return config.ratelimits[0].namespace_id;
      return config.queues.producers[0].queue;
    });

    expect(new Set(names).size).toBe(configs.length);
  });

  it.each(configs)('should name the queues of $env in its vars, as its consumers take them', ({ config }) => {
    const { vars } = config;
    const [events, deadLetters] = config.queues.consumers;

    expect(config.queues.producers[0].queue).toBe(vars.EVENTS_QUEUE_NAME);
    expect(events.queue).toBe(vars.EVENTS_QUEUE_NAME);
    expect(events.dead_letter_queue).toBe(vars.DEAD_LETTER_QUEUE_NAME);
    expect(deadLetters.queue).toBe(vars.DEAD_LETTER_QUEUE_NAME);
  });

  it.each(configs.slice(1))('should give $env every binding and var production has', ({ config }) => {
    const production = configs[0].config;

    expect(bindingNames(config)).toEqual(bindingNames(production));
    expect(Object.keys(config.vars).sort()).toEqual(Object.keys(production.vars).sort());
    expect(config.ratelimits[0].simple).toEqual(production.ratelimits[0].simple);
  });

  it.each(configs)('should never let $env deliver webhooks to loopback addresses', ({ config }) => {
    expect(config.vars.WEBHOOK_ALLOW_LOOPBACK).toBe('false');
  });
});
