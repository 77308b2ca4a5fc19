import { app } from './app';

export { TenantSessions } from './sessions/tenant-sessions';
export type { AppType } from './app';

export default app satisfies ExportedHandler<Env>;
