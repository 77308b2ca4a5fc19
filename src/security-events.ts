/** The security events a business hears about: their data, the queue message, the webhook body. */
import { z } from '@hono/zod-openapi';

const TenantId = z.string().openapi({ description: 'The tenant (contact book) id.', example: 'E6E364D1-643D-47F0-A448-EF3CF588CCB4' });
const OccurredAt = z.iso.datetime().openapi({ description: 'When the cause committed.', example: '2026-11-29T13:11:49.032Z' });
const RequestId = z.string().openapi({
  description: 'The `X-Request-Id` of the request that caused the event, as this service logged it.',
  example: 'd7e192d4-b97a-4153-9771-e9d5ea632c4d',
});

/**
 * Each event's `data`: ids, times and counts only, never a password, hash, token, stamp, key or
 * user name. These schemas are also the `webhooks` of the OpenAPI document.
 */
export const EVENT_DATA = {
  'tenant.password_changed': z.object({
    tenantId: TenantId,
    occurredAt: OccurredAt,
    requestId: RequestId,
    sessionsRevoked: z.literal('others').openapi({
      description:
        'Which sessions the change revoked: every session of the tenant but the one that made it. (A count is known ' +
        'only once the sessions are settled, which can be after the commit this event is written with.)',
    }),
  }),
  'tenant.login_locked': z.object({
    tenantId: TenantId,
    occurredAt: OccurredAt,
    retryAfterSeconds: z.number().int().min(1).openapi({ description: 'How long logins stay refused.', example: 900 }),
  }),
  'tenant.session_revoked_for_guessing': z.object({ tenantId: TenantId, occurredAt: OccurredAt, requestId: RequestId }),
  'tenant.password_reset': z.object({ tenantId: TenantId, occurredAt: OccurredAt, requestId: RequestId }),
  'tenant.disabled': z.object({ tenantId: TenantId, occurredAt: OccurredAt, requestId: RequestId }),
  'tenant.deleted': z.object({ tenantId: TenantId, occurredAt: OccurredAt, requestId: RequestId }),
};

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as [EventType, ...EventType[]];

/**
 * What the EVENTS queue carries: the whole event, so a delivery reads nothing but the endpoint, and
 * an event recorded by a Durable Object needs no D1 row to travel.
 */
export const EventMessage = z.object({
  /** Sent as `webhook-id` on every attempt, so receivers can deduplicate. */
  id: z.string().regex(/^msg_[0-9a-f]{32}$/),
  type: z.enum(EVENT_TYPES),
  businessId: z.string().min(1),
  tenantId: z.string().min(1),
  occurredAt: z.iso.datetime(),
  data: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type EventMessage = z.infer<typeof EventMessage>;

export function newEventId(): string {
  return `msg_${crypto.randomUUID().replaceAll('-', '')}`;
}

interface Cause {
  businessId: string;
  tenantId: string;
  /** When the cause committed, in Unix milliseconds. */
  at: number;
}

type ExtraData<T extends EventType> = Omit<z.input<(typeof EVENT_DATA)[T]>, 'tenantId' | 'occurredAt'>;

function event<T extends EventType>(type: T, cause: Cause, extra: ExtraData<T>): EventMessage {
  const occurredAt = new Date(cause.at).toISOString();
  const data = { tenantId: cause.tenantId, occurredAt, ...extra };
  return { id: newEventId(), type, businessId: cause.businessId, tenantId: cause.tenantId, occurredAt, data };
}

export const passwordChanged = (cause: Cause & { requestId: string }) =>
  event('tenant.password_changed', cause, { requestId: cause.requestId, sessionsRevoked: 'others' });

export const loginLocked = (cause: Cause & { retryAfterSeconds: number }) =>
  event('tenant.login_locked', cause, { retryAfterSeconds: cause.retryAfterSeconds });

export const sessionRevokedForGuessing = (cause: Cause & { requestId: string }) =>
  event('tenant.session_revoked_for_guessing', cause, { requestId: cause.requestId });

export const passwordReset = (cause: Cause & { requestId: string }) => event('tenant.password_reset', cause, { requestId: cause.requestId });

export const tenantDisabled = (cause: Cause & { requestId: string }) => event('tenant.disabled', cause, { requestId: cause.requestId });

export const tenantDeleted = (cause: Cause & { requestId: string }) => event('tenant.deleted', cause, { requestId: cause.requestId });

/** The body POSTed to the endpoint: `{ type, timestamp, data }`, per the Standard Webhooks shape. */
export function webhookBody(message: EventMessage): string {
  return JSON.stringify({ type: message.type, timestamp: message.occurredAt, data: message.data });
}
