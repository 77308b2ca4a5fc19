// Bench only, never deployed: the worker's central stores (D1 and the Durable Objects) as seen from
// far away. Every call first waits a fixed delay, as a round trip to a distant primary would, and is
// counted; concurrent calls wait side by side, so a request's added latency divided by the delay is
// its number of sequential calls. KV is left alone: its reads are cached at the edge.
// The test suite uses `aroundStoreCalls` to see which calls overlap.

export interface StoreCall {
  store: 'd1' | 'durableObject';
  /** The SQL of a D1 statement (a batch's joined by ";\n"), or the Durable Object method. */
  name: string;
}

/** Runs around every call to a central store; `run` makes the call itself. */
export type AroundStoreCall = <T>(call: StoreCall, run: () => Promise<T>) => Promise<T>;

const REAL = Symbol('real statement');
type Statement = D1PreparedStatement & { [REAL]: D1PreparedStatement; sql: string };

function forward<T extends object>(target: T, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

function d1Around(real: D1Database, around: AroundStoreCall): D1Database {
  const wrap = (statement: D1PreparedStatement, sql: string): Statement =>
    new Proxy(statement, {
      get(target, property) {
        if (property === REAL) return target;
        if (property === 'sql') return sql;
        if (property === 'bind') return (...values: unknown[]) => wrap(target.bind(...values), sql);
        if (property === 'first' || property === 'all' || property === 'run' || property === 'raw') {
          const execute = target[property] as (...a: never[]) => Promise<unknown>;
          return (...args: never[]) => around({ store: 'd1', name: sql }, () => execute.apply(target, args));
        }
        return forward(target, property);
      },
    }) as Statement;
  return new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      if (property === 'batch') {
        return (statements: Statement[]) =>
          around({ store: 'd1', name: statements.map((s) => s.sql).join(';\n') }, () => target.batch(statements.map((s) => s[REAL])));
      }
      if (property === 'exec') return (sql: string) => around({ store: 'd1', name: sql }, () => target.exec(sql));
      // A session of D1's Sessions API (a read replica, with read replication on) is as far as the primary, at worst.
      if (property === 'withSession') {
        return (constraint?: string) => d1Around(target.withSession(constraint) as unknown as D1Database, around);
      }
      return forward(target, property);
    },
  });
}

function stubAround<T extends object>(stub: T, around: AroundStoreCall): T {
  return new Proxy(stub, {
    get(target, method) {
      // A stub answers every property with a remote method; `then` must stay absent so a stub is not taken for a promise.
      if (method === 'then' || typeof method === 'symbol') return undefined;
      if (method === 'id' || method === 'name') return Reflect.get(target, method, target);
      const remote = (...args: unknown[]) => (target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args);
      return (...args: unknown[]) => around({ store: 'durableObject', name: method }, () => remote(...args));
    },
  });
}

function namespaceAround<N extends object>(real: N, around: AroundStoreCall): N {
  return new Proxy(real, {
    get(target, property) {
      if (property === 'get' || property === 'getByName') {
        const open = Reflect.get(target, property, target) as (...a: unknown[]) => object;
        return (...args: unknown[]) => stubAround(open.apply(target, args), around);
      }
      return forward(target, property);
    },
  });
}

/** The bindings with `around` run about every D1 and Durable Object call. */
export function aroundStoreCalls(env: Env, around: AroundStoreCall): Env {
  return {
    ...env,
    DB: d1Around(env.DB, around),
    TENANT_SESSIONS: namespaceAround(env.TENANT_SESSIONS, around),
    CLIENT_BUDGETS: namespaceAround(env.CLIENT_BUDGETS, around),
  };
}

export type StoreCalls = Record<StoreCall['store'], number>;

/** The bindings with D1 and the Durable Objects `delayMs` away, and the count of calls made to them. */
export function atDistance(env: Env, delayMs: number): { env: Env; calls: StoreCalls } {
  const calls: StoreCalls = { d1: 0, durableObject: 0 };
  const travel: AroundStoreCall = async (call, run) => {
    calls[call.store]++;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return run();
  };
  return { calls, env: aroundStoreCalls(env, travel) };
}
