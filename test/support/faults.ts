import { env } from 'cloudflare:workers';

/** A simulated infrastructure failure, as a binding would throw it. */
export class InjectedFault extends Error {
  constructor(where: string) {
    super(`D1_ERROR: Network connection lost (injected at ${where})`);
    this.name = 'InjectedFault';
  }
}

/**
 * How drizzle reports a failed query: the SQL and every bound value in the message, the driver's
 * error as the cause. Drizzle wraps single statements itself; a batch fault is wrapped here the
 * same way, so a log that prints error messages would show the values whichever statement failed.
 */
export class InjectedQueryFault extends Error {
  constructor(sql: string, params: unknown[], cause: InjectedFault) {
    super(`Failed query: ${sql}\nparams: ${params.join(',')}`, { cause });
  }
}

export interface D1FaultPlan {
  /** Fail statements whose SQL matches. */
  failOn: RegExp;
  /** Let the write commit, then report an error anyway (the "network connection lost" case). */
  afterCommit?: boolean;
  /** Fail only the first N matching calls. */
  times?: number;
  /**
   * Told the values bound to each failed statement (all of a failed batch's), to look for them in
   * the logs; the failure is reported once what it returns has settled, so a test can act in between.
   */
  onFault?: (values: unknown[]) => void | Promise<unknown>;
}

const REAL = Symbol('real statement');
type Wrapped = D1PreparedStatement & { [REAL]: D1PreparedStatement; sql: string; values: unknown[] };

/** The real D1 binding, with the failures of `plan` injected into matching statements and batches. */
export function faultyD1(plan: D1FaultPlan, real: D1Database = env.DB): D1Database {
  let remaining = plan.times ?? Infinity;
  const shouldFail = (sql: string) => plan.failOn.test(sql) && remaining-- > 0;

  async function run<T>(sql: string, values: unknown[], execute: () => Promise<T>): Promise<T> {
    if (!shouldFail(sql)) return execute();
    if (plan.afterCommit) await execute();
    await plan.onFault?.(values);
    throw new InjectedFault(sql.slice(0, 40));
  }

  const wrap = (statement: D1PreparedStatement, sql: string, values: unknown[] = []): Wrapped =>
    new Proxy(statement, {
      get(target, property) {
        if (property === REAL) return target;
        if (property === 'sql') return sql;
        if (property === 'values') return values;
        if (property === 'bind') return (...bound: unknown[]) => wrap(target.bind(...bound), sql, bound);
        if (property === 'first' || property === 'all' || property === 'run' || property === 'raw') {
          return (...args: never[]) =>
            run(sql, values, () => (target[property] as (...a: never[]) => Promise<unknown>).apply(target, args));
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Wrapped;

  return new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      if (property === 'batch') {
        return (statements: Wrapped[]) => {
          const sql = statements.map((s) => s.sql).join(';\n');
          const values = statements.flatMap((s) => s.values);
          return run(sql, values, () => target.batch(statements.map((s) => s[REAL]))).catch((fault: unknown) => {
            throw fault instanceof InjectedFault ? new InjectedQueryFault(sql, values, fault) : fault;
          });
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

type RpcCall = (...args: unknown[]) => unknown;

/** A Durable Object namespace, whose stubs send each RPC call through `around` (given the method name and the real call). */
function interceptedDurableObjects<N extends object>(around: (method: string, call: RpcCall) => RpcCall, real: N): N {
  return new Proxy(real, {
    get(target, property) {
      if (property === 'get') {
        return (id: DurableObjectId) => {
          const stub = (target as unknown as DurableObjectNamespace).get(id);
          return new Proxy(stub, {
            get(stubTarget, method) {
              // RPC stubs answer every property with a remote method, so forward calls instead of binding.
              const call: RpcCall = (...args) => (stubTarget as unknown as Record<string | symbol, RpcCall>)[method](...args);
              return typeof method === 'string' ? around(method, call) : call;
            },
          });
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Stubs of `real` that throw on the named RPC methods (the first N calls, or always). */
function throwingDurableObjects<N extends object>(real: N, methods: string[], times: number): N {
  let remaining = times;
  return interceptedDurableObjects((method, call) => {
    if (!methods.includes(method) || remaining <= 0) return call;
    return async () => {
      remaining--;
      throw new Error(`Durable Object unavailable (injected at ${method})`);
    };
  }, real);
}

/** The real TENANT_SESSIONS namespace, whose stubs throw on the named RPC methods (the first N calls, or always). */
export const faultyDurableObjects = (methods: string[], times = Infinity): Env['TENANT_SESSIONS'] =>
  throwingDurableObjects(env.TENANT_SESSIONS, methods, times);

/** The real CLIENT_BUDGETS namespace, whose stubs throw on the named RPC methods (the first N calls, or always). */
export const faultyClientBudgets = (methods: string[], times = Infinity): Env['CLIENT_BUDGETS'] =>
  throwingDurableObjects(env.CLIENT_BUDGETS, methods, times);

/**
 * The real Durable Object namespace, whose stubs hold every call of `method` until `release()`:
 * `reached` resolves when the first such call arrives, so a test can act while it waits.
 */
export function pausedDurableObjects(method: string) {
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const namespace = interceptedDurableObjects((name, call) => {
    if (name !== method) return call;
    return async (...args) => {
      arrived();
      await released;
      return call(...args);
    };
  }, env.TENANT_SESSIONS);
  return { namespace, reached, release };
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

/** A CLIENT_BUDGETS namespace whose budgets are spent: every login they are asked about is refused. */
export function spentLoginBudget(): Env['CLIENT_BUDGETS'] {
  return interceptedDurableObjects(
    (method, call) => (method === 'admit' ? async () => ({ outcome: 'refused', retryAfterSeconds: 60 }) : call),
    env.CLIENT_BUDGETS,
  );
}

export const envWith = (overrides: Partial<Env>): Env => ({ ...env, ...overrides });
