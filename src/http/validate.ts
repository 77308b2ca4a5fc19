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
export const bodyTooLarge = (maxBytes: number) => ({ status: 413, message: `The body must be at most ${maxBytes} bytes.` }) as const;
export const BODY_TOO_LARGE = bodyTooLarge(MAX_BODY_BYTES);

/**
 * Runs before a route's validator: the body must be JSON, at most `maxBytes` (MAX_BODY_BYTES unless
 * the route needs more), and parse. Each failure is a FAILED envelope with its own status (415, 413, 400).
 */
export function jsonBody(maxBytes = MAX_BODY_BYTES): MiddlewareHandler {
  const tooLarge = bodyTooLarge(maxBytes);
  return every(
    createMiddleware(async function requireJsonContentType(c, next) {
      if (!JSON_CONTENT_TYPE.test(c.req.header('Content-Type') ?? '')) {
        throw new ApiError('FAILED', NOT_JSON);
      }
      await next();
    }),
    bodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw new ApiError('FAILED', tooLarge);
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

/** An item of a list validated item by item (see `validateEach`). */
export type ItemValidation<T> = { index: number; valid: true; value: T } | { index: number; valid: false; code: ErrorCode; message: string };

/**
 * Validates each item of the body field `listField` on its own, for a route that takes the valid ones
 * and reports the others by index instead of refusing the request: an item's error is its first
 * field's INVALID_PARAM_<FIELD>, or `listField`'s own when the item is not an object.
 */
export function validateEach<S extends z.ZodType>(schema: S, listField: string, items: unknown[]): ItemValidation<z.output<S>>[] {
  return items.map((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) return { index, valid: true, value: result.data };
    const [first] = toEntries(result.error.issues);
    if (!first.field) return { index, valid: false, code: fieldErrorCode(listField), message: `each entry of ${listField} must be a JSON object` };
    return { index, valid: false, code: first.code, message: first.message };
  });
}
