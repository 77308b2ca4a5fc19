import { afterAll, expect } from 'vitest';
import { documentedErrors, openApiDocument } from './openapi';

/**
 * Every failure the tests of one file saw the API answer, by operation. After the file, each one
 * must be documented on that operation, with that HTTP status and an example of that code: the
 * document is checked against what the code really answers, not against a hand-kept list.
 */
const seen = new Set<string>();

const key = (route: string, status: number, code: string) => `${route} ${status} ${code}`;

export function recordFailure(method: string, path: string, status: number, code: unknown): void {
  if (status >= 400 && typeof code === 'string') seen.add(JSON.stringify([method.toUpperCase(), path.split('?')[0], status, code]));
}

export function checkFailuresAreDocumented(): void {
  afterAll(async () => {
    const doc = await openApiDocument();
    const documented = new Set(documentedErrors(doc).map((error) => key(error.route, error.status, error.code)));
    const undocumented = [...seen]
      .map((entry) => JSON.parse(entry) as [string, string, number, string])
      .map(([method, path, status, code]) => [method, documentedPath(Object.keys(doc.paths), path), status, code] as const)
      // Unknown routes and wrong methods are not operations of the document.
      .filter(([method, path]) => doc.paths[path]?.[method.toLowerCase()] !== undefined)
      .map(([method, path, status, code]) => key(`${method} ${path}`, status, code))
      .filter((entry) => !documented.has(entry));
    expect(undocumented, 'failures the API answered that the OpenAPI document does not list').toEqual([]);
  });
}

/** The document's key for a requested path: itself, or the template (`/v1/admin/tenants/{tenantId}/…`) it fills in. */
function documentedPath(paths: string[], path: string): string {
  if (paths.includes(path)) return path;
  const template = paths.find((candidate) => {
    const pattern = candidate.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+');
    return new RegExp(`^${pattern}$`).test(path);
  });
  return template ?? path;
}
