import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { SERVICE_VERSION } from '../config';
import type { AppEnv } from '../http/context';
import { jsonContent } from '../http/openapi';
import { throwOnInvalid } from '../http/validate';

const Health = z
  .object({
    status: z.literal('ok'),
    version: z.string().openapi({ description: 'The deployed service version (package.json).', example: SERVICE_VERSION }),
  })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['Operations'],
  summary: 'Tell whether the worker runs, and which version',
  description:
    'Needs no key and calls no store (D1, KV, Durable Objects), so it answers even when they do not: it says the ' +
    'deployment is up, not that its bindings are healthy. Not in the envelope.',
  responses: { 200: jsonContent(Health, 'The worker runs this version.') },
});

export const healthRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid }).openapi(healthRoute, (c) =>
  c.json({ status: 'ok' as const, version: SERVICE_VERSION }, 200),
);
