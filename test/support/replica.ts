import { env } from 'cloudflare:workers';

/**
 * D1 with read replication on, and a read replica that lags: sessions opened `first-unconstrained`
 * (the nearest copy) read REPLICA_DB, which has only what `catchUp` copied into it; everything else
 * (the primary, writes) is the real DB. The worker is given it as its DB binding. `reads` counts the
 * SELECTs each copy ran.
 */
export function laggingReplica() {
  const reads = { primary: 0, replica: 0 };
  const counting = <T extends D1Database | D1DatabaseSession>(copy: T, at: keyof typeof reads): T =>
    new Proxy(copy, {
      get(target, property) {
        if (property === 'prepare') {
          return (sql: string) => {
            if (/^\s*select/i.test(sql)) reads[at]++;
            return target.prepare(sql);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const primary = new Proxy(counting(env.DB, 'primary'), {
    get(target, property) {
      if (property === 'withSession') {
        return (constraint?: string) =>
          constraint === 'first-unconstrained' ? counting(env.REPLICA_DB.withSession(constraint), 'replica') : env.DB.withSession(constraint);
      }
      return Reflect.get(target, property);
    },
  });
  return {
    bindings: { ...env, DB: primary, D1_READ_REPLICATION: 'true' } as unknown as Env,
    reads,
    /** Replication reaches the tenant: the replica gets its row and retired hashes as the primary has them now. */
    async catchUp(tenantId: string): Promise<void> {
      const tenant = await env.DB.prepare('SELECT * FROM tenants WHERE id = ?').bind(tenantId).first<Record<string, unknown>>();
      const { results: history } = await env.DB.prepare('SELECT * FROM password_history WHERE tenant_id = ?').bind(tenantId).all<Record<string, unknown>>();
      const insert = (table: string, row: Record<string, unknown>) =>
        env.REPLICA_DB.prepare(`INSERT OR REPLACE INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`).bind(
          ...Object.values(row),
        );
      await env.REPLICA_DB.batch([
        env.REPLICA_DB.prepare('DELETE FROM password_history WHERE tenant_id = ?').bind(tenantId),
        ...(tenant ? [insert('tenants', tenant)] : []),
        ...history.map((row) => insert('password_history', row)),
      ]);
    },
  };
}
