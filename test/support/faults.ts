import { env } from 'cloudflare:workers';

/** A simulated infrastructure failure, as a binding would throw it. */
export class InjectedFault extends Error {
  constructor(where: string) {
    super(`D1_ERROR: Network connection lost (injected at ${where})`);
    this.name = 'InjectedFault';
  }
}

export interface D1FaultPlan {
  /** Fail statements whose SQL matches. */
  failOn: RegExp;
  /** Let the write commit, then report an error anyway (the "network connection lost" case). */
  afterCommit?: boolean;
  /** Fail only the first N matching calls. */
  times?: number;
}

const REAL = Symbol('real statement');
type Wrapped = D1PreparedStatement & { [REAL]: D1PreparedStatement; sql: string };

/** The real D1 binding, with the failures of `plan` injected into matching statements and batches. */
export function faultyD1(plan: D1FaultPlan, real: D1Database = env.DB): D1Database {
  let remaining = plan.times ?? Infinity;
  const shouldFail = (sql: string) => plan.failOn.test(sql) && remaining-- > 0;

  async function run<T>(sql: string, execute: () => Promise<T>): Promise<T> {
    if (!shouldFail(sql)) return execute();
    if (plan.afterCommit) await execute();
    throw new InjectedFault(sql.slice(0, 40));
  }

  const wrap = (statement: D1PreparedStatement, sql: string): Wrapped =>
    new Proxy(statement, {
      get(target, property) {
        if (property === REAL) return target;
        if (property === 'sql') return sql;
        if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (property === 'first' || property === 'all' || property === 'run' || property === 'raw') {
          return (...args: never[]) =>
            run(sql, () => (target[property] as (...a: never[]) => Promise<unknown>).apply(target, args));
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Wrapped;

  return new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      if (property === 'batch') {
        return (statements: Wrapped[]) =>
          run(statements.map((s) => s.sql).join(';\n'), () => target.batch(statements.map((s) => s[REAL])));
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The real Durable Object namespace, whose stubs throw on the named RPC methods (the first N calls, or always). */
export function faultyDurableObjects(methods: string[], times = Infinity): Env['TENANT_SESSIONS'] {
  const real = env.TENANT_SESSIONS;
  let remaining = times;
  return new Proxy(real, {
    get(target, property) {
      if (property === 'get') {
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(stubTarget, method) {
              if (typeof method === 'string' && methods.includes(method) && remaining > 0) {
                return async () => {
                  remaining--;
                  throw new Error(`Durable Object unavailable (injected at ${method})`);
                };
              }
              // RPC stubs answer every property with a remote method, so forward calls instead of binding.
              return (...args: unknown[]) =>
                (stubTarget as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[method](...args);
            },
          });
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A KV namespace whose reads fail. */
export function failingKv(): KVNamespace {
  return new Proxy(env.API_KEYS, {
    get(target, property) {
      if (property === 'get') return async () => Promise.reject(new Error('KV unavailable (injected)'));
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export const envWith = (overrides: Partial<Env>): Env => ({ ...env, ...overrides });
