import { describe, expect, it } from 'vitest';
import { EVENT_DATA, EventMessage, loginLocked, passwordChanged, sessionRevokedForGuessing, webhookBody } from './security-events';

const cause = { businessId: 'acme', tenantId: 'E6E364D1-643D-47F0-A448-EF3CF588CCB4', at: Date.UTC(2026, 10, 29, 13, 11, 49, 32) };

describe('events', () => {
  it.each([
    passwordChanged({ ...cause, requestId: 'd7e192d4-b97a-4153-9771-e9d5ea632c4d' }),
    loginLocked({ ...cause, retryAfterSeconds: 900 }),
    sessionRevokedForGuessing({ ...cause, requestId: 'd7e192d4-b97a-4153-9771-e9d5ea632c4d' }),
  ])('should build $type with exactly the documented data, as a valid queue message', (event) => {
    expect(EventMessage.parse(event)).toEqual(event);
    expect(EVENT_DATA[event.type].strict().parse(event.data)).toEqual(event.data);
    expect(event.data).toMatchObject({ tenantId: cause.tenantId, occurredAt: '2026-11-29T13:11:49.032Z' });
  });

  it('should give every event its own id', () => {
    const ids = new Set(Array.from({ length: 100 }, () => loginLocked({ ...cause, retryAfterSeconds: 60 }).id));
    expect(ids.size).toBe(100);
  });

  it('should POST the type, the time it occurred and the data, nothing of the routing', () => {
    const event = loginLocked({ ...cause, retryAfterSeconds: 900 });
    expect(JSON.parse(webhookBody(event))).toEqual({ type: 'tenant.login_locked', timestamp: event.occurredAt, data: event.data });
  });
});
