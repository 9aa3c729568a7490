/**
 * The workbench's rules as pure functions: correcting data (judged by the intake rule, the
 * clock from when the data arrived on 8x5 too), ownership, close/reopen, the reply's records,
 * merge, the list's order, views and keyset paging, and the search's folding.
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import type { Contract } from '../../src/domain/contract-terms.js';
import { ContractRegistry } from '../../src/domain/contracts.js';
import { explainResponseDeadline } from '../../src/domain/deadlines.js';
import { applyAction } from '../../src/domain/request-actions.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { absorbDuplicate, changeOwner, closeAsMerged, editRequestData, recordReplySent, reopenRequest } from '../../src/domain/workbench-rules.js';
import { listPage, listQuerySchema, rowOf } from '../../src/search/list-query.js';
import { foldTerm, RequestIndex } from '../../src/search/request-index.js';
import { createLogger } from '../../src/logger.js';
import { renderEngineerReply, renderMergeNotice } from '../../src/notify/engineer-mail.js';
import { testRegistry } from '../support/registry.js';

const calendar = new ServiceCalendar();
const registry = new ContractRegistry(testRegistry().contracts as unknown as Contract[]);
const at = (iso: string): number => Date.parse(iso);
const engineer = 'engineer:ewa';

function request(overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  return {
    number: 'HZ-2026-000001',
    status: 'accepted',
    acceptability: 'accepted',
    channel: 'email',
    kind: 'service',
    escalated: false,
    sourceKey: 'mail:<a@b>',
    sentAt: '2026-11-20T08:47:00.000Z',
    stampedAt: '2026-11-20T08:47:01.000Z',
    language: 'pl',
    reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl' },
    contractNumber: 'HZ-2025-00017',
    serialNumber: 'Q80-25-00412',
    customer: 'Spółdzielnia Mleczarska Mazowsze-Wschód',
    device: { serial: 'Q80-25-00412', model: 'Qualstar Q80' },
    window: '8x5',
    attachments: [],
    raw: {},
    appliedSources: [],
    updatedAt: '2026-11-20T08:47:01.000Z',
    version: 1,
    ...overrides,
  };
}

describe('correcting data', () => {
  it('starts an 8x5 clock when the serial arrived: entered Fri 16:30 → due Mon 09:30, not from the mail sent Fri 07:47', () => {
    const waiting = request({ status: 'needs-info', acceptability: 'needs-info', reason: 'Missing the serial number', serialNumber: undefined, device: undefined, sentAt: '2026-11-20T06:47:00.000Z' });
    const arrived = at('2026-11-20T16:30:00+01:00');
    const result = editRequestData(waiting, { serialNumber: 'Q80-25-00412' }, { id: 'edit:1', actor: engineer, atMs: arrived, registry, calendar });
    expect(result?.request).toMatchObject({ status: 'accepted', clockStartedAt: new Date(arrived).toISOString(), device: { model: 'Qualstar Q80' } });
    expect(result?.request.reason).toBeUndefined();
    expect(result?.request.responseDeadline?.at).toBe(new Date(at('2026-11-23T09:30:00+01:00')).toISOString());
    expect(result?.events.map((event) => event.type)).toEqual(['data-edited', 'clock-started']);
    expect(result?.events[0]).toMatchObject({ actor: engineer, data: { changes: { serialNumber: { to: 'Q80-25-00412' } } } });
    // The same id again changes nothing.
    expect(editRequestData(result!.request, { serialNumber: 'X' }, { id: 'edit:1', actor: engineer, atMs: arrived, registry, calendar })).toBeNull();
  });

  it('keeps a request that is still missing data waiting, with the reason of the intake rule', () => {
    const waiting = request({ status: 'needs-info', acceptability: 'needs-info', serialNumber: undefined, contractNumber: undefined, customer: undefined, device: undefined });
    const result = editRequestData(waiting, { contractNumber: 'HZ-2025-00017' }, { id: 'e', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar });
    expect(result?.request.status).toBe('needs-info');
    expect(result?.request.reason).toMatch(/serial number/);
    expect(result?.request.customer).toBe('Spółdzielnia Mleczarska Mazowsze-Wschód');
    expect(result?.request.clockStartedAt).toBeUndefined();
  });

  it('accepts an unconfirmed reporter corrected to a representative, from the correction on', () => {
    const unknown = request({ status: 'unauthorized-reporter', acceptability: 'unauthorized-reporter', reporter: { email: 'someone@else.pl' } });
    const result = editRequestData(unknown, { reporter: { email: 'marek.zielinski@example.pl' } }, { id: 'e', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar });
    expect(result?.request.status).toBe('accepted');
    expect(result?.events[0]?.data).toMatchObject({ changes: { 'reporter.email': { from: 'someone@else.pl', to: 'marek.zielinski@example.pl' } } });
  });

  it('keeps the matched device of a request still waiting for its reporter, and drops a device the new serial does not match', () => {
    const unknown = request({ status: 'unauthorized-reporter', acceptability: 'unauthorized-reporter', reporter: { email: 'someone@else.pl' } });
    const renamed = editRequestData(unknown, { reporter: { name: 'Ktoś' } }, { id: 'e', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar });
    expect(renamed?.request).toMatchObject({ status: 'unauthorized-reporter', device: { model: 'Qualstar Q80' } });
    const wrongSerial = editRequestData(unknown, { serialNumber: 'NOPE-1' }, { id: 'e2', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar });
    expect(wrongSerial?.request.status).toBe('needs-info');
    expect(wrongSerial?.request.device).toBeUndefined();
    expect(wrongSerial?.request.customer).toBe('Spółdzielnia Mleczarska Mazowsze-Wschód');
  });

  it('keeps a running clock through a correction, refuses one that makes it unacceptable, and refuses closed requests', () => {
    const deadline = explainResponseDeadline(at('2026-11-20T08:47:00Z'), '8x5', calendar);
    const running = request({ clockStartedAt: '2026-11-20T08:47:00.000Z', responseDeadline: { at: new Date(deadline.deadline).toISOString(), trace: deadline.trace } });
    const renamed = editRequestData(running, { reporter: { name: 'K. Wójcik' } }, { id: 'e', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar });
    expect(renamed?.request.responseDeadline).toEqual(running.responseDeadline);
    expect(renamed?.events.map((event) => event.type)).toEqual(['data-edited']);
    expect(() => editRequestData(running, { serialNumber: 'NOPE' }, { id: 'e2', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar })).toThrow(/unacceptable/);
    expect(() => editRequestData(request({ status: 'closed' }), { serialNumber: 'X' }, { id: 'e3', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar })).toThrow(/closed/);
    expect(editRequestData(running, { serialNumber: 'Q80-25-00412' }, { id: 'e4', actor: engineer, atMs: at('2026-11-20T10:00:00Z'), registry, calendar })).toBeNull();
  });
});

describe('ownership, close and reopen', () => {
  const context = { atMs: at('2026-11-20T10:00:00Z') };
  it('takes, refuses a second taker naming the owner, assigns and releases', () => {
    const taken = changeOwner(request(), { how: 'take' }, { id: 'o1', actor: 'engineer:ewa', ...context });
    expect(taken?.request.owner).toBe('ewa');
    expect(() => changeOwner(taken!.request, { how: 'take' }, { id: 'o2', actor: 'engineer:piotr', ...context })).toThrow(expect.objectContaining({ code: 'OWNED_BY_OTHER', message: expect.stringContaining('ewa') }));
    expect(changeOwner(taken!.request, { how: 'take' }, { id: 'o3', actor: 'engineer:ewa', ...context })).toBeNull();
    const assigned = changeOwner(taken!.request, { how: 'assign', to: 'piotr' }, { id: 'o4', actor: 'engineer:ewa', ...context });
    expect(assigned?.events[0]?.data).toEqual({ how: 'assign', from: 'ewa', to: 'piotr' });
    const released = changeOwner(assigned!.request, { how: 'release' }, { id: 'o5', actor: 'engineer:piotr', ...context });
    expect(released?.request.owner).toBeUndefined();
    expect(() => changeOwner(request({ status: 'closed' }), { how: 'take' }, { id: 'o6', actor: engineer, ...context })).toThrow(/closed/);
  });

  it('closes with a resolution only, and reopens to the status it was closed from', () => {
    const contacted = request({ status: 'contacted' });
    expect(() => applyAction(contacted, { action: 'closed', atMs: context.atMs, actor: engineer, id: 'c1' }, calendar)).toThrow(/resolution/);
    expect(() => applyAction(contacted, { action: 'closed', atMs: context.atMs, actor: engineer, id: 'c1', resolution: { kind: 'duplicate' } }, calendar)).toThrow(/duplicate/);
    const closed = applyAction(contacted, { action: 'closed', atMs: context.atMs, actor: engineer, id: 'c1', resolution: { kind: 'part-replaced' } }, calendar);
    expect(closed?.request.resolution).toMatchObject({ kind: 'part-replaced', closedFrom: 'contacted', by: engineer });
    const reopened = reopenRequest(closed!.request, { id: 'r1', actor: engineer, atMs: context.atMs, reason: 'Klient oddzwonił' });
    expect(reopened?.request.status).toBe('contacted');
    expect(reopened?.request.resolution).toBeUndefined();
    expect(reopened?.events[0]?.data).toMatchObject({ to: 'contacted', reason: 'Klient oddzwonił', resolution: { kind: 'part-replaced' } });
    expect(() => reopenRequest(contacted, { id: 'r2', actor: engineer, atMs: context.atMs, reason: 'x' })).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });

  it('records who confirmed an unauthorized reporter, and starts the clock then', () => {
    const unknown = request({ status: 'unauthorized-reporter', acceptability: 'unauthorized-reporter' });
    const confirmed = applyAction(unknown, { action: 'reporter-confirmed', atMs: context.atMs, actor: 'engineer:piotr', id: 'rc' }, calendar);
    expect(confirmed?.request.reporterConfirmation).toEqual({ at: '2026-11-20T10:00:00.000Z', by: 'engineer:piotr' });
    expect(confirmed?.request.clockStartedAt).toBe('2026-11-20T10:00:00.000Z');
  });

  it('records contact by phone in the first response', () => {
    const due = explainResponseDeadline(at('2026-11-20T08:47:00Z'), '24x7', calendar);
    const running = request({ window: '24x7', clockStartedAt: '2026-11-20T08:47:00.000Z', responseDeadline: { at: new Date(due.deadline).toISOString(), trace: '' } });
    const late = applyAction(running, { action: 'contacted', atMs: at('2026-11-20T09:48:00Z'), actor: engineer, id: 'k', via: 'phone' }, calendar);
    expect(late?.request.firstResponse).toEqual({ at: '2026-11-20T09:48:00.000Z', by: engineer, met: false, via: 'phone' });
  });
});

describe('reply and merge records', () => {
  it('records a sent reply once', () => {
    const sent = recordReplySent(request(), { jobId: 'reporter-mail:HZ-2026-000001:reply:1', actor: engineer, sentAtMs: at('2026-11-20T10:00:00Z') });
    expect(sent?.events[0]).toMatchObject({ type: 'reply-sent', at: '2026-11-20T10:00:00.000Z', actor: engineer });
    expect(recordReplySent(sent!.request, { jobId: 'reporter-mail:HZ-2026-000001:reply:1', actor: engineer, sentAtMs: 0 })).toBeNull();
  });

  it('copies a duplicate’s events marked with its number, and closes it as a duplicate', () => {
    const target = request();
    const duplicate = request({ number: 'HZ-2026-000002', attachments: [{ name: 'log.txt', type: 'text/plain', size: 1, sha256: 'a'.repeat(64), storageKey: 'k' }] });
    const history = [{ id: 'filed:x', at: duplicate.sentAt, actor: 'email', source: 'x', type: 'filed' as const, data: { status: 'accepted' as const, sentAt: duplicate.sentAt } }];
    const absorbed = absorbDuplicate(target, duplicate, history, { actor: engineer, atMs: at('2026-11-20T10:00:00Z') });
    expect(absorbed?.events.map((event) => [event.type, event.mergedFrom])).toEqual([['merged', undefined], ['filed', 'HZ-2026-000002']]);
    expect(absorbed?.request.attachments).toHaveLength(1);
    expect(absorbDuplicate(absorbed!.request, duplicate, history, { actor: engineer, atMs: 0 })).toBeNull();
    const closed = closeAsMerged(duplicate, target.number, { actor: engineer, atMs: at('2026-11-20T10:00:00Z') });
    expect(closed?.request).toMatchObject({ status: 'closed', mergedInto: target.number, resolution: { kind: 'duplicate', of: target.number } });
    expect(() => reopenRequest(closed!.request, { id: 'r', actor: engineer, atMs: 0, reason: 'x' })).toThrow(/merged into/);
  });

  it('renders the reply and the merge notice in Polish and English, tagged and signed', () => {
    const pl = renderEngineerReply({ requestNumber: 'HZ-2026-000001', language: 'pl', text: 'Proszę o logi.', engineerName: 'Ewa Kowalska', subject: 'RE: Awaria [HZ-2026-000001]' });
    expect(pl.subject).toBe('Re: Awaria [HZ-2026-000001]');
    expect(pl.text).toMatch(/^Dzień dobry,\n\nProszę o logi\.\n/);
    expect(pl.text).toContain('Pozdrawiam,\nEwa Kowalska\nInżynier serwisu HEZO');
    const en = renderEngineerReply({ requestNumber: 'HZ-2026-000001', language: 'en', text: 'Logs please.', engineerName: 'Ewa\nKowalska' });
    expect(en.subject).toBe('[HZ-2026-000001] Request HZ-2026-000001');
    expect(en.text).toContain('Kind regards,\nEwa Kowalska');
    const notice = renderMergeNotice({ duplicate: 'HZ-2026-000002', into: 'HZ-2026-000001', language: 'pl', engineerName: 'Ewa' });
    expect(notice.text).toContain('pod numerem HZ-2026-000001');
    expect(notice.subject).toContain('[HZ-2026-000002]');
  });
});

describe('the list', () => {
  const now = at('2026-11-20T10:00:00Z');
  const query = (text: Record<string, string> = {}) => listQuerySchema(5000, 500).parse(text);
  const due = (iso: string) => ({ clockStartedAt: '2026-11-20T08:00:00.000Z', window: '24x7' as const, responseDeadline: { at: iso, trace: '' } });
  const rows = [
    rowOf(request({ number: 'HZ-2026-000010', ...due('2026-11-20T10:20:00.000Z') })),
    rowOf(request({ number: 'HZ-2026-000011', ...due('2026-11-20T09:50:00.000Z'), escalated: true, owner: 'ewa' })),
    rowOf(request({ number: 'HZ-2026-000012', status: 'needs-info', sentAt: '2026-11-20T07:00:00.000Z' })),
    rowOf(request({ number: 'HZ-2026-000013', status: 'needs-info', sentAt: '2026-11-20T09:00:00.000Z' })),
    rowOf(request({ number: 'HZ-2026-000014', ...due('2026-11-20T12:00:00.000Z') })),
    rowOf(request({ number: 'HZ-2026-000015', status: 'closed', resolution: { kind: 'withdrawn', at: '2026-11-20T09:00:00.000Z', by: engineer, closedFrom: 'accepted' } })),
  ];
  const context = { nowMs: now, calendar, me: 'ewa' };

  it('puts requests without a clock first (longest waiting first), then by deadline, closed left out', () => {
    expect(listPage(rows, query(), context)).toEqual({ numbers: ['HZ-2026-000012', 'HZ-2026-000013', 'HZ-2026-000011', 'HZ-2026-000010', 'HZ-2026-000014'], total: 5, nextCursor: null });
  });

  it('filters the views: breached, due within 30 min, escalated, waiting, mine, unowned, closed', () => {
    expect(listPage(rows, query({ view: 'breached' }), context).numbers).toEqual(['HZ-2026-000011']);
    expect(listPage(rows, query({ view: 'due-soon' }), context).numbers).toEqual(['HZ-2026-000010']);
    expect(listPage(rows, query({ view: 'escalated' }), context).numbers).toEqual(['HZ-2026-000011']);
    expect(listPage(rows, query({ view: 'waiting' }), context).numbers).toEqual(['HZ-2026-000012', 'HZ-2026-000013']);
    expect(listPage(rows, query({ view: 'mine' }), context).numbers).toEqual(['HZ-2026-000011']);
    expect(listPage(rows, query({ owner: 'none' }), context).total).toBe(4);
    expect(listPage(rows, query({ status: 'closed' }), context).numbers).toEqual(['HZ-2026-000015']);
  });

  it('sorts by any column either way and pages by cursor without repeats', () => {
    const desc = listPage(rows, query({ sort: 'number', order: 'desc', status: 'all' }), context);
    expect(desc.numbers[0]).toBe('HZ-2026-000015');
    const first = listPage(rows, query({ sort: 'sent', limit: '2' }), context);
    expect(first.numbers).toHaveLength(2);
    const second = listPage(rows, query({ sort: 'sent', limit: '2', cursor: first.nextCursor ?? '' }), context);
    const third = listPage(rows, query({ sort: 'sent', limit: '2', cursor: second.nextCursor ?? '' }), context);
    expect([...first.numbers, ...second.numbers, ...third.numbers].sort()).toEqual(['HZ-2026-000010', 'HZ-2026-000011', 'HZ-2026-000012', 'HZ-2026-000013', 'HZ-2026-000014']);
    expect(third.nextCursor).toBeNull();
    expect(() => listPage(rows, query({ sort: 'number', cursor: first.nextCursor ?? '' }), context)).toThrow(/cursor/);
  });
});

describe('search', () => {
  it('folds Polish letters and case, including ł', () => {
    expect(foldTerm('Łódź')).toBe('lodz');
    expect(foldTerm('ŻÓŁĆ')).toBe('zolc');
    expect(foldTerm('Mleczarska')).toBe('mleczarska');
  });

  it('matches every word as a prefix across fields, open and closed', () => {
    // Fed by apply() alone here; loading and reconciling from Redis: test/integration/request-index.test.ts.
    const index = new RequestIndex({ allNumbers: async () => [], getMany: async () => [], versions: async () => [] }, createLogger('silent'));
    index.apply(request({ number: 'HZ-2026-000021', subject: 'Zakład w Łodzi' }));
    index.apply(request({ number: 'HZ-2026-000022', status: 'closed', customer: 'Inny klient', subject: 'Robot', reporter: { name: 'Jan', phone: '+48 601 200 300' } }));
    expect([...index.match('lodzi mleczarska')]).toEqual(['HZ-2026-000021']);
    expect([...index.match('mleczar')]).toEqual(['HZ-2026-000021']);
    expect([...index.match('601200')]).toEqual(['HZ-2026-000022']);
    expect([...index.match('hz-2026-00002')].sort()).toEqual(['HZ-2026-000021', 'HZ-2026-000022']);
    expect([...index.match('robot inny')]).toEqual(['HZ-2026-000022']);
    // A newer version replaces the old one in the index.
    index.apply(request({ number: 'HZ-2026-000021', subject: 'Gdańsk', version: 2 }));
    expect([...index.match('lodzi')]).toEqual([]);
    expect([...index.match('gdansk')]).toEqual(['HZ-2026-000021']);
    // An older version arriving late (a slow feed) does not undo it.
    index.apply(request({ number: 'HZ-2026-000021', subject: 'Zakład w Łodzi', version: 1 }));
    expect([...index.match('lodzi')]).toEqual([]);
  });
});
