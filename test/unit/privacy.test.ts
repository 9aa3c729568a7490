/**
 * The privacy rules as plain functions: who a data-subject request is about, how their traces
 * are recognised in any spelling, and what anonymizing a request keeps for the SLA report and
 * what it removes — on requests stamped by the real assessment.
 */
import { describe, expect, it } from 'vitest';
import { attachToRequest, stampNewRequest } from '../../src/domain/assessment.js';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { ContractRegistry } from '../../src/domain/contracts.js';
import type { RequestEvent } from '../../src/domain/history.js';
import { intakeDraftSchema, type IntakeDraft, type ServiceRequest } from '../../src/domain/request.js';
import { validateRegistryData } from '../../src/domain/registry-rules.js';
import { anonymizeRequest, eraseSubject, recordingsOf, removeRecordings } from '../../src/privacy/anonymize.js';
import { parseDataSubject, REMOVED, TraceMatcher } from '../../src/privacy/data-subject.js';
import { closedAt, retentionCutoffs } from '../../src/privacy/retention.js';
import { testRegistry } from '../support/registry.js';

const calendar = new ServiceCalendar();
const validation = validateRegistryData(testRegistry());
if (!validation.ok) throw new Error('the tests’ registry is invalid');
const registry = new ContractRegistry(validation.data.contracts);
const ANNA = { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' };
const JAN = { name: 'Jan Wiśniewski', email: 'jan.wisniewski@example.pl' };
const RECORDING = 'https://api.twilio.com/2010-04-01/Accounts/ACx/Recordings/RE0001';
const CONTEXT = { at: '2028-12-01T02:15:00.000Z', actor: 'system', source: 'retention' };

function draft(overrides: Partial<IntakeDraft>) {
  return intakeDraftSchema.parse({
    channel: 'email',
    kind: 'service',
    sourceKey: 'mail:<a1@example.pl>',
    sentAt: '2026-11-24T09:15:00.000Z',
    reporter: ANNA,
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki',
    description: `Proszę dzwonić: 600-100-200. ${ANNA.name}`,
    attachments: [{ name: 'robot.log', type: 'text/plain', size: 10, sha256: 'a'.repeat(64), storageKey: `sha256/aa/${'a'.repeat(64)}` }],
    raw: { location: 'pomoc/INBOX/17', payload: { messageId: '<a1@example.pl>', from: `${ANNA.name} <${ANNA.email}>` } },
    language: 'pl',
    ...overrides,
  });
}

/** Anna's request with Jan's reply and an engineer's note about Anna, closed. */
function annasRequest(): { request: ServiceRequest; history: RequestEvent[] } {
  const stamped = stampNewRequest('HZ-2026-000001', draft({}), registry, calendar, Date.parse('2026-11-24T09:16:00.000Z'));
  const reply = attachToRequest(stamped.request, draft({ sourceKey: 'mail:<a2@example.pl>', reporter: JAN, description: 'Potwierdzam awarię.', attachments: [] }), 'mail:<a2@example.pl>', registry, calendar, Date.parse('2026-11-24T10:00:00.000Z'));
  if (!reply) throw new Error('the reply was not attached');
  const note: RequestEvent = { id: 'note:1', at: '2026-11-24T10:05:00.000Z', actor: 'engineer:ewa', source: 'api', type: 'note', internal: true, data: { text: `Oddzwonić do Anny na 600 100 200` } };
  const closed: RequestEvent = { id: 'closed:1', at: '2026-11-25T12:00:00.000Z', actor: 'engineer:ewa', source: 'api', type: 'closed', data: { from: 'accepted', to: 'closed', note: 'Klientka zadowolona' } };
  return { request: { ...reply.request, status: 'closed' }, history: [...stamped.events, ...reply.events, note, closed] };
}

describe('who a data-subject request is about', () => {
  it('takes exactly one e-mail address or phone number, normalized', () => {
    expect(parseDataSubject({ email: ' Anna.Nowak@Example.PL ' })).toEqual({ email: 'anna.nowak@example.pl' });
    expect(parseDataSubject({ phone: '600-100-200' })).toEqual({ phone: '+48600100200' });
    expect(parseDataSubject({ phone: '0048 600 100 200' })).toEqual({ phone: '+48600100200' });
    expect(() => parseDataSubject({})).toThrow(/exactly one/);
    expect(() => parseDataSubject({ email: 'a@example.pl', phone: '600100200' })).toThrow(/exactly one/);
    expect(() => parseDataSubject({ email: 'not-an-address' })).toThrow(/not an e-mail address/);
    expect(() => parseDataSubject({ phone: '12' })).toThrow(/not a phone number/);
  });

  it('recognises a number in any spelling, but not inside a longer number', () => {
    const matcher = new TraceMatcher({ phones: ['+48 600 100 200'] });
    for (const text of ['+48600100200', 'tel. 600 100 200', '600-100-200', '0048 600-100-200', '(+48) 600100200']) expect(matcher.matches(text), text).toBe(true);
    for (const text of ['1600100200', '6001002001', 'HZ-2026-600100']) expect(matcher.matches(text), text).toBe(false);
    expect(matcher.scrub('Dzwonić: +48 600 100 200, pilne')).toBe(`Dzwonić: ${REMOVED}, pilne`);
  });

  it('recognises an address case-insensitively and a name across spacing', () => {
    const matcher = new TraceMatcher({ emails: ['Anna.Nowak@example.pl'], names: ['Anna  Nowak'] });
    expect(matcher.scrub('From: ANNA.NOWAK@EXAMPLE.PL (anna nowak)')).toBe(`From: ${REMOVED} (${REMOVED})`);
    expect(matcher.mentionedIn({ deep: [{ text: 'Anna\nNowak' }] })).toBe(true);
    expect(matcher.mentionedIn({ text: 'Anna Kowalska' })).toBe(false);
  });

  it('matches whole addresses and whole names only', () => {
    const matcher = new TraceMatcher({ emails: ['anna@example.pl'], names: ['Anna Nowak', 'Osoba 7'] });
    for (const text of ['joanna@example.pl', 'anna@example.pl.evil.example', 'Anna Nowakowska', 'Osoba 70', 'Joanna Nowak']) expect(matcher.matches(text), text).toBe(false);
    for (const text of ['<anna@example.pl>', 'mailto:anna@example.pl.', 'Pani Anna Nowak, tel.', 'Osoba 7.']) expect(matcher.matches(text), text).toBe(true);
  });
});

describe('anonymizing a closed request (retention)', () => {
  it('keeps what the SLA report needs and removes every person in it', () => {
    const { request, history } = annasRequest();
    const removal = anonymizeRequest(request, history, CONTEXT);
    expect(removal.request).toMatchObject({
      number: 'HZ-2026-000001',
      status: 'closed',
      channel: 'email',
      contractNumber: 'HZ-2026-00123',
      serialNumber: 'XLS812-240517',
      sentAt: request.sentAt,
      responseDeadline: request.responseDeadline,
      reporter: {},
      attachments: [],
      raw: {},
      personalDataRemoved: { at: CONTEXT.at, reason: 'retention' },
    });
    expect(removal.request.subject).toBeUndefined();
    expect(removal.request.description).toBeUndefined();
    expect(removal.storageKeys).toEqual([`sha256/aa/${'a'.repeat(64)}`]);
    // Every event stays, with its time and type; the texts go.
    expect(removal.history.slice(0, -1).map((e) => [e.type, e.at])).toEqual(history.map((e) => [e.type, e.at]));
    const text = JSON.stringify([removal.request, removal.history]);
    for (const trace of ['Anna', 'anna.nowak', '600', 'Wiśniewski', 'jan.wisniewski', 'Potwierdzam', 'Klientka']) expect(text, trace).not.toContain(trace);
    expect(removal.event).toEqual({
      id: `personal-data-removed:retention:${CONTEXT.at}`,
      at: CONTEXT.at,
      actor: 'system',
      source: 'retention',
      type: 'personal-data-removed',
      data: { reason: 'retention', fields: ['reporter', 'subject', 'description', 'attachments', 'raw'], events: 3, attachmentsDeleted: 1, recordingsRemoved: 0 },
    });
  });

  it('removes the bounced address from an acknowledgment-undeliverable event, keeping its status and our Message-ID', () => {
    const { request, history } = annasRequest();
    const bounce: RequestEvent = {
      id: 'undeliverable:mail:dsn@mx.example.pl', at: '2026-11-26T09:20:00.000Z', type: 'acknowledgment-undeliverable', actor: 'email', source: 'mail:dsn@mx.example.pl', internal: true,
      data: { sentAt: '2026-11-26T09:19:00.000Z', recipient: 'anna.nowak@example.pl', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <anna.nowak@example.pl>: User unknown', messageId: '<hz-2026-000001.ack.0123@intake.myhezo.pl>' },
    };
    const removal = anonymizeRequest(request, [...history, bounce], CONTEXT);
    expect(JSON.stringify(removal.history)).not.toContain('anna.nowak');
    expect(removal.history.find((event) => event.type === 'acknowledgment-undeliverable')?.data).toEqual({ sentAt: '2026-11-26T09:19:00.000Z', status: '5.1.1', messageId: '<hz-2026-000001.ack.0123@intake.myhezo.pl>' });
  });

  it('counts from the last closing, and 24 months back in Warsaw calendar months', () => {
    const { request, history } = annasRequest();
    expect(closedAt(request, history)).toBe(Date.parse('2026-11-25T12:00:00.000Z'));
    const { closedBefore, callsBefore } = retentionCutoffs(Date.parse('2028-11-25T12:00:01.000Z'), { closedRequestMonths: 24, recordingDays: 90 });
    expect(closedBefore).toBe(Date.parse('2026-11-25T12:00:01.000Z'));
    expect(callsBefore).toBe(Date.parse('2028-08-27T12:00:01.000Z'));
  });
});

describe('erasing one person', () => {
  it('in a request someone else filed, removes only their reply and their traces', () => {
    const { request, history } = annasRequest();
    const removal = eraseSubject(request, history, { email: JAN.email }, [JAN.name], { ...CONTEXT, actor: 'cli', source: 'privacy' });
    expect(removal?.request.reporter).toEqual(ANNA);
    expect(removal?.request.description).toBe(request.description);
    const reply = removal?.history.find((e) => e.type === 'reply');
    expect(reply).toMatchObject({ type: 'reply', data: { reporter: {}, sentAt: '2026-11-24T09:15:00.000Z' } });
    expect(JSON.stringify(removal)).not.toMatch(/wisniewski|Wiśniewski|Potwierdzam/i);
    expect(removal?.event.data).toMatchObject({ reason: 'erasure', events: 1 });
  });

  it('in a request they filed, anonymizes it whole; in one that never names them, changes nothing', () => {
    const { request, history } = annasRequest();
    const removal = eraseSubject(request, history, { phone: '+48600100200' }, [ANNA.name], { ...CONTEXT, actor: 'cli', source: 'privacy' });
    expect(removal?.request).toMatchObject({ reporter: {}, attachments: [], personalDataRemoved: { reason: 'erasure' } });
    expect(eraseSubject(request, history, { email: 'someone.else@example.pl' }, [], CONTEXT)).toBeNull();
  });
});

describe('recording retention', () => {
  it('removes the recording address everywhere and keeps the caller', () => {
    const call = stampNewRequest(
      'HZ-2026-000002',
      draft({ channel: 'phone', sourceKey: 'call:CA1', reporter: { phone: '+48600100200' }, description: `Nagranie: ${RECORDING}`, raw: { location: RECORDING, payload: { recordingUrl: RECORDING } }, attachments: [] }),
      registry,
      calendar,
      Date.parse('2026-11-24T09:16:00.000Z'),
    );
    expect(recordingsOf(call.request, call.events)).toEqual([RECORDING]);
    const removal = removeRecordings(call.request, call.events, CONTEXT);
    expect(JSON.stringify(removal)).not.toContain('RE0001');
    expect(removal?.request).toMatchObject({ reporter: { phone: '+48600100200' }, recordingsRemovedAt: CONTEXT.at, raw: { payload: { recordingUrl: REMOVED } } });
    expect(removal?.request.raw.location).toBeUndefined();
    expect(removal?.event.data).toEqual({ reason: 'recording-retention', fields: ['recordings'], events: 0, attachmentsDeleted: 0, recordingsRemoved: 1 });
    expect(removeRecordings(removal?.request as ServiceRequest, removal?.history ?? [], CONTEXT)).toBeNull();
  });
});
