import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { installProductionPbkdf2Limit } from './pbkdf2-limit';

installProductionPbkdf2Limit();
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
