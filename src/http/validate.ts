import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import { createMiddleware } from 'hono/factory';
import type { z } from '@hono/zod-openapi';
import { MAX_BODY_BYTES } from '../config';
import { ApiError, ERRORS, type ErrorCode } from '../errors';
import type { ErrorEntry } from '../schemas';

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** How `jsonBody` refuses a body before parsing it, as `FAILED` errors; the OpenAPI document lists the same. */
export const NOT_JSON = { status: 415, message: 'Content-Type must be application/json.' } as const;
export const BODY_TOO_LARGE = { status: 413, message: `The body must be at most ${MAX_BODY_BYTES} bytes.` } as const;

/**
 * Runs before a route's validator: the body must be JSON, at most MAX_BODY_BYTES, and parse.
 * Each failure is a FAILED envelope with its own status (415, 413, 400).
 */
export function jsonBody(): MiddlewareHandler {
  return every(
    createMiddleware(async function requireJsonContentType(c, next) {
      if (!JSON_CONTENT_TYPE.test(c.req.header('Content-Type') ?? '')) {
        throw new ApiError('FAILED', NOT_JSON);
      }
      await next();
    }),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError('FAILED', BODY_TOO_LARGE);
      },
    }),
    createMiddleware(async function parseJson(c, next) {
      try {
        await c.req.json();
      } catch (cause) {
        if (cause instanceof ApiError) throw cause;
        throw new ApiError('FAILED', { message: 'The body is not valid JSON.' });
      }
      await next();
    }),
  );
}

const upperSnake = (field: string) => field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** `existingPassword` → INVALID_PARAM_EXISTING_PASSWORD; fields the contract does not name fall back to FAILED. */
export function fieldErrorCode(field: string): ErrorCode {
  const code = `INVALID_PARAM_${upperSnake(field)}`;
  return code in ERRORS ? (code as ErrorCode) : 'FAILED';
}

function toEntries(issues: z.core.$ZodIssue[]): ErrorEntry[] {
  const entries: ErrorEntry[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const field = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    if (!field) {
      entries.push({ code: 'FAILED', message: 'The body must be a JSON object.' });
      continue;
    }
    if (seen.has(field)) continue;
    seen.add(field);
    entries.push({ code: fieldErrorCode(field), message: `${field} ${issue.message}`, field });
  }
  return entries;
}

/**
 * The OpenAPI app's default hook: every validation failure becomes the contract's envelope, with
 * one entry per invalid field. The raw zod result never reaches the client.
 */
export function throwOnInvalid(
  result: { success: true } | { success: false; error: z.ZodError },
  _c: Context,
): void {
  if (result.success) return;
  const [first, ...more] = toEntries(result.error.issues);
  throw new ApiError(first.code, { message: first.message, field: first.field, more });
}
