/** The events, as the `webhooks` of the OpenAPI document: what a business's endpoint receives. */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context';
import { EVENT_DATA, type EventType } from '../security-events';

const SUMMARIES: Record<EventType, string> = {
  'tenant.password_changed': "A tenant's password was changed",
  'tenant.login_locked': 'Logins of an existing tenant were locked out after too many wrong passwords',
  'tenant.session_revoked_for_guessing': 'A session spent its budget of wrong existing passwords and was revoked',
  'tenant.password_reset': "A tenant's password was set with a reset token the business issued; every session was revoked",
  'tenant.disabled': 'A tenant was disabled by the business; its sessions are refused and its logins fail',
  'tenant.deleted': 'A tenant was erased at the business\'s request; its user name may register again',
};

const SignatureHeaders = z.object({
  'webhook-id': z.string().openapi({ description: 'The event id, the same on every attempt: deduplicate by it.', example: 'msg_e40b794b8de642eca49d2d7f419b62b9' }),
  'webhook-timestamp': z.string().openapi({ description: "The attempt's time, in Unix seconds.", example: '1795957911' }),
  'webhook-signature': z.string().openapi({
    description:
      '`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under the key the business\'s ' +
      '`whsec_` secret encodes (Standard Webhooks). For WEBHOOK_SECRET_OVERLAP_HOURS after `npm run webhook -- rotate`, ' +
      'two such entries, space-separated: one per secret, the new one first. Accept the request if any entry verifies, ' +
      'e.g. with the `standardwebhooks` package, over the raw body.',
    example: 'v1,guJMc0hnWXeFepP96o5gLM01qIifjkI5I9iUQos3oIY=',
  }),
});

/** `tenant.password_changed` → `onTenantPasswordChanged`: the method name a generated receiver gets. */
const webhookOperationId = (type: EventType) =>
  'on' + type.split(/[._]/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');

export function documentWebhooks(app: OpenAPIHono<AppEnv>): void {
  for (const [type, data] of Object.entries(EVENT_DATA) as [EventType, (typeof EVENT_DATA)[EventType]][]) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      operationId: webhookOperationId(type),
      tags: ['Webhooks'],
      summary: SUMMARIES[type],
      description:
        'POSTed to the endpoint of the tenant\'s business (`npm run webhook -- set`), at least once: retried with growing ' +
        'delays for about eight hours, then listed by `npm run webhook -- failed`.',
      request: {
        headers: SignatureHeaders,
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ type: z.literal(type), timestamp: z.iso.datetime(), data }) } },
        },
      },
      responses: {
        204: { description: 'Any 2xx, within 10 seconds, acknowledges the event; anything else, a redirect included, is retried.' },
      },
    });
  }
}
