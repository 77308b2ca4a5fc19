import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { installProductionPbkdf2Limit } from './pbkdf2-limit';
import { checkFailuresAreDocumented } from './documented-errors';
import { watchConsoleForSecrets } from './secret-watch';

installProductionPbkdf2Limit();
watchConsoleForSecrets();
checkFailuresAreDocumented();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
