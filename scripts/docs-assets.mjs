// Copies Scalar's standalone browser bundle from node_modules into the static assets folder, so that
// GET /docs loads it from this worker and never from a CDN. wrangler runs this as the custom build
// (`[build]` in wrangler.toml) before every `wrangler dev` and `wrangler deploy`, dry runs included.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../node_modules/@scalar/api-reference/dist/browser/standalone.js', import.meta.url));
// Served at /scalar/standalone.js, the `cdn` of the Scalar middleware in src/app.ts.
const TARGET = fileURLToPath(new URL('../public/scalar/standalone.js', import.meta.url));

mkdirSync(dirname(TARGET), { recursive: true });
copyFileSync(SOURCE, TARGET);
