import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes the SQL that wrangler applies (migrations/NNNN_name.sql) from the
// schema; migrations/meta/ holds drizzle-kit's snapshots, which wrangler and the tests never read.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './migrations',
});
