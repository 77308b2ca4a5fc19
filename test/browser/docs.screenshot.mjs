// npm run docs:screenshot: saves what GET /docs shows a reader to docs/screenshot.png.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDocs, waitForReference } from './docs-page.mjs';

const PORT = Number(process.env.DOCS_PORT ?? 8796);
const TARGET = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

const docs = await openDocs({ port: PORT });
try {
  await waitForReference(docs);
  mkdirSync(fileURLToPath(new URL('../../docs/', import.meta.url)), { recursive: true });
  await docs.page.screenshot({ path: TARGET });
  console.log(`Saved ${TARGET}`);
} finally {
  await docs.close();
}
