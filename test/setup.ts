import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { checkFailuresAreDocumented } from './support/documented-errors';
import { installProductionPbkdf2Limit } from './support/pbkdf2-limit';
import { watchConsoleForSecrets } from './support/secret-watch';

installProductionPbkdf2Limit();
watchConsoleForSecrets();
checkFailuresAreDocumented();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.REPLICA_DB, env.TEST_MIGRATIONS);
