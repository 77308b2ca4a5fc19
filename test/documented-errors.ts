import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, expect } from 'vitest';
import worker from '../src/index';

/**
 * Every failure the tests of one file saw the API answer, by operation. After the file, each one
 * must be documented on that operation, with that HTTP status and an example of that code: the
 * document is checked against what the code really answers, not against a hand-kept list.
 */
const seen = new Set<string>();

export function recordFailure(method: string, path: string, status: number, code: unknown): void {
  if (status >= 400 && typeof code === 'string') seen.add(JSON.stringify([method.toLowerCase(), path.split('?')[0], status, code]));
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: object }> }> }>>;
}

export function checkFailuresAreDocumented(): void {
  afterAll(async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request('http://api.test/openapi.json'), env, ctx);
    await waitOnExecutionContext(ctx);
    const doc = (await response.json()) as OpenApiDocument;
    const undocumented = [...seen]
      .map((entry) => JSON.parse(entry) as [string, string, number, string])
      // Unknown routes and wrong methods are not operations of the document.
      .filter(([method, path]) => doc.paths[path]?.[method] !== undefined)
      .filter(([method, path, status, code]) => {
        const examples = doc.paths[path][method].responses[String(status)]?.content?.['application/json']?.examples ?? {};
        return !(code in examples);
      })
      .map(([method, path, status, code]) => `${method.toUpperCase()} ${path} ${status} ${code}`);
    expect(undocumented, 'failures the API answered that the OpenAPI document does not list').toEqual([]);
  });
}
