import { expect } from 'vitest';
import { dispatch, ORIGIN } from './dispatch';

interface Example {
  value: { status: string };
}

export interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, Example> }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, { type: string; in: string; name: string }>;
    schemas: Record<string, unknown>;
  };
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export async function openApiDocument(): Promise<OpenApiDocument> {
  const response = await dispatch(new Request(`${ORIGIN}/openapi.json`));
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDocument;
}

export interface DocumentedError {
  /** `METHOD /path` */
  route: string;
  status: number;
  code: string;
  example: Example;
}

/** Every (operation, HTTP status, error code) the document lists as an example failure. */
export function documentedErrors(doc: OpenApiDocument): DocumentedError[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .flatMap(([method, operation]) =>
        Object.entries(operation.responses)
          .filter(([status]) => Number(status) >= 400)
          .flatMap(([status, response]) =>
            Object.values(response.content ?? {}).flatMap((media) =>
              Object.entries(media.examples ?? {}).map(([code, example]) => ({
                route: `${method.toUpperCase()} ${path}`,
                status: Number(status),
                code,
                example,
              })),
            ),
          ),
      ),
  );
}
