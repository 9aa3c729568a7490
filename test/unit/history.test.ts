/**
 * A request's history as the code writes it (the clock event names its start and its
 * deadline apart) and as it reads stored events of the older shape (deadline in `data.at`).
 */
import { describe, expect, it } from 'vitest';
import { attachToRequest, stampNewRequest } from '../../src/domain/assessment.js';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { ContractRegistry } from '../../src/domain/contracts.js';
import { validateRegistryData } from '../../src/domain/registry-rules.js';
import { readStoredHistory, type ClockStartedEvent } from '../../src/domain/history.js';
import { intakeDraftSchema, type IntakeDraft } from '../../src/domain/request.js';
import { testRegistry } from '../support/registry.js';

const calendar = new ServiceCalendar();
const validation = validateRegistryData(testRegistry());
if (!validation.ok) throw new Error('the tests’ registry is invalid');
const registry = new ContractRegistry(validation.data.contracts);

function draft(overrides: Partial<IntakeDraft>): ReturnType<typeof intakeDraftSchema.parse> {
  return intakeDraftSchema.parse({
    channel: 'email',
    kind: 'service',
    sourceKey: 'mail:<a1@example.pl>',
    // Tue 2026-11-24 10:15 Warsaw.
    sentAt: '2026-11-24T09:15:00.000Z',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    language: 'pl',
    ...overrides,
  });
}

const json = (events: object[]): string[] => events.map((event) => JSON.stringify(event));

describe('the clock event as written', () => {
  it('names the clock start (the sent time) and the deadline apart from when it was stamped, after a backlog', () => {
    // Stamped 40 minutes after it was sent (a dispatcher backlog): the clock still started at sentAt.
    const stampedAt = Date.parse('2026-11-24T09:55:00.000Z');
    const { events } = stampNewRequest('HZ-2026-000001', draft({}), registry, calendar, stampedAt);
    const clock = events.find((event) => event.type === 'clock-started') as ClockStartedEvent;
    expect(clock.at).toBe('2026-11-24T09:55:00.000Z');
    expect(clock.data).toEqual({ clockStartedAt: '2026-11-24T09:15:00.000Z', responseDeadline: { at: '2026-11-24T10:15:00.000Z', trace: expect.stringContaining('→') } });
  });

  it('starts the clock of a request that lacked its serial at the sent time of the reply that brought it', () => {
    const filed = stampNewRequest('HZ-2026-000002', draft({ serialNumber: undefined }), registry, calendar, Date.parse('2026-11-24T09:15:01.000Z'));
    expect(filed.events.map((event) => event.type)).not.toContain('clock-started');
    // The reply was sent Tue 11:00 Warsaw (+01:00 written out), stamped at 11:30.
    const reply = draft({ sourceKey: 'mail:<a2@example.pl>', sentAt: '2026-11-24T11:00:00+01:00', serialNumber: 'XLS812-240517' });
    const attached = attachToRequest(filed.request, reply, 'mail:<a2@example.pl>', registry, calendar, Date.parse('2026-11-24T10:30:00.000Z'));
    const clock = attached?.events.find((event) => event.type === 'clock-started') as ClockStartedEvent;
    expect(clock.data.clockStartedAt).toBe('2026-11-24T10:00:00.000Z');
    expect(clock.data.responseDeadline.at).toBe('2026-11-24T11:00:00.000Z');
    expect(attached?.request.clockStartedAt).toBe(clock.data.clockStartedAt);
  });
});

describe('stored history of the older shape', () => {
  const deadline = { at: '2026-11-30T08:30:00.000Z', trace: 'sent Fri 16:30 → 30 min Fri + 30 min Mon → due Mon 09:30' };

  it('reads an old clock event of a new request with its start (the request’s sent time) and its deadline', () => {
    const stored = json([
      { id: 'filed:mail:<x@example.pl>', at: '2026-11-27T16:05:00.000Z', type: 'filed', actor: 'email', source: 'mail:<x@example.pl>', data: { status: 'accepted', sentAt: '2026-11-27T15:30:00.000Z' } },
      { id: 'clock:mail:<x@example.pl>', at: '2026-11-27T16:05:00.000Z', type: 'clock-started', actor: 'system', source: 'mail:<x@example.pl>', data: deadline },
    ]);
    const [, clock] = readStoredHistory(stored);
    expect(clock).toEqual({
      id: 'clock:mail:<x@example.pl>',
      at: '2026-11-27T16:05:00.000Z',
      type: 'clock-started',
      actor: 'system',
      source: 'mail:<x@example.pl>',
      data: { clockStartedAt: '2026-11-27T15:30:00.000Z', responseDeadline: deadline },
    });
  });

  it('reads an old clock event started by a reply with the reply’s sent time, in UTC', () => {
    const stored = json([
      { id: 'filed:mail:<x@example.pl>', at: '2026-11-27T09:00:00.000Z', type: 'filed', actor: 'email', source: 'mail:<x@example.pl>', data: { status: 'needs-info', sentAt: '2026-11-27T08:59:00.000Z' } },
      { id: 'reply:mail:<y@example.pl>', at: '2026-11-27T16:05:00.000Z', type: 'reply', actor: 'email', source: 'mail:<y@example.pl>', data: { sentAt: '2026-11-27T16:30:00+01:00', reporter: {} } },
      { id: 'reassessed:mail:<y@example.pl>', at: '2026-11-27T16:05:00.000Z', type: 'reassessed', actor: 'system', source: 'mail:<y@example.pl>', data: { status: 'accepted' } },
      { id: 'clock:mail:<y@example.pl>', at: '2026-11-27T16:05:00.000Z', type: 'clock-started', actor: 'system', source: 'mail:<y@example.pl>', data: deadline },
    ]);
    const clock = readStoredHistory(stored)[3] as ClockStartedEvent;
    expect(clock.data).toEqual({ clockStartedAt: '2026-11-27T15:30:00.000Z', responseDeadline: deadline });
  });

  it('falls back to when the clock was stamped when the event that started it is missing', () => {
    const stored = json([{ id: 'clock:k', at: '2026-11-27T16:05:00.000Z', type: 'clock-started', actor: 'system', source: 'k', data: deadline }]);
    expect((readStoredHistory(stored)[0] as ClockStartedEvent).data).toEqual({ clockStartedAt: '2026-11-27T16:05:00.000Z', responseDeadline: deadline });
  });

  it('leaves events of today’s shape, and of types it does not know, as stored', () => {
    const events = [
      { id: 'clock:k', at: '2026-11-27T16:05:00.000Z', type: 'clock-started', actor: 'system', source: 'k', data: { clockStartedAt: '2026-11-27T15:30:00.000Z', responseDeadline: deadline } },
      { id: 'w', at: '2026-11-27T16:06:00.000Z', type: 'from-a-newer-version', actor: 'system', source: 'timer', data: { at: 'x' } },
      { id: 'escalated:k', at: '2026-11-27T16:05:00.000Z', type: 'escalated', actor: 'email', source: 'k' },
    ];
    expect(readStoredHistory(json(events))).toEqual(events);
  });
});
