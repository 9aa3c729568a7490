import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import type { Contract } from '../../src/domain/contract-terms.js';
import { ContractRegistry } from '../../src/domain/contracts.js';
import { closeInspection, recordInspectionItem, stampInspectionRequest } from '../../src/domain/inspection-request.js';
import {
  addYear,
  inspectionDueAt,
  inspectionSourceKey,
  inspectionsToFile,
  lastInspectionOf,
  missingItems,
  overdueAlertWeek,
} from '../../src/domain/inspections.js';
import { applyAction } from '../../src/domain/request-actions.js';
import { validateDraft } from '../../src/intake/submit.js';
import { isRenewed, renewalReminderKey, renewalsDue } from '../../src/domain/renewals.js';
import { isIntakeError } from '../../src/errors.js';

const calendar = new ServiceCalendar();

function contract(changes: Partial<Contract> = {}): Contract {
  return {
    number: 'HZ-2026-00700',
    customer: 'Huta Testowa S.A.',
    package: 'AHB',
    window: '8x5',
    onsite: null,
    validFrom: '2026-01-15',
    validTo: '2027-12-31',
    devices: [{ serial: 'Q48-24-00001', model: 'Qualstar Q48' }],
    representatives: [{ name: 'Ewa Test', email: 'ewa.test@example.pl', phone: '+48600100200' }],
    systemCare: true,
    ...changes,
  };
}

describe('inspection due dates', () => {
  it('are 12 calendar months after the last inspection, a month end staying in its month', () => {
    expect(addYear('2025-11-30')).toBe('2026-11-30');
    expect(addYear('2026-01-31')).toBe('2027-01-31');
    expect(addYear('2026-12-31')).toBe('2027-12-31');
  });

  it('29 Feb of a leap year falls due on 28 Feb of the next year, never 1 Mar', () => {
    expect(addYear('2024-02-29')).toBe('2025-02-28');
    expect(addYear('2027-02-28')).toBe('2028-02-28');
  });

  it('count from the later of the gateway’s record and the registry’s date, else from the start of care', () => {
    const device = { serial: 'Q48-24-00001', model: 'Q48', lastInspection: '2026-03-10' };
    expect(lastInspectionOf(contract(), device, undefined)).toEqual({ date: '2026-03-10', basis: 'registry' });
    expect(lastInspectionOf(contract(), device, '2026-05-02')).toEqual({ date: '2026-05-02', basis: 'recorded' });
    expect(lastInspectionOf(contract(), device, '2025-01-02')).toEqual({ date: '2026-03-10', basis: 'registry' });
    expect(lastInspectionOf(contract(), { serial: 'X1', model: 'M' }, undefined)).toEqual({ date: '2026-01-15', basis: 'care start' });
  });

  it('are due at 17:00 Warsaw on a business day, and by Friday when the date is a Saturday', () => {
    // Thu 2026-12-10, winter time (+01:00).
    expect(new Date(inspectionDueAt('2026-12-10', calendar)).toISOString()).toBe('2026-12-10T16:00:00.000Z');
    // Sat 2026-12-12 → Fri 2026-12-11.
    expect(new Date(inspectionDueAt('2026-12-12', calendar)).toISOString()).toBe('2026-12-11T16:00:00.000Z');
    // Sat 2026-12-26 (holiday season: 24, 25 and 26 Dec closed) → Wed 2026-12-23.
    expect(new Date(inspectionDueAt('2026-12-26', calendar)).toISOString()).toBe('2026-12-23T16:00:00.000Z');
  });
});

describe('which inspections are filed', () => {
  const device = (serial: string, lastInspection?: string) => ({ serial, model: 'Qualstar Q48', ...(lastInspection ? { lastInspection } : {}) });

  it('files a device 30 days before its due date, not a day earlier, and an overdue one too', () => {
    const registry = new ContractRegistry([
      contract({ devices: [device('A-1', '2025-12-20'), device('A-2', '2026-02-01'), device('A-3', '2025-06-01')] }),
    ]);
    const due = inspectionsToFile(registry, new Map(), '2026-11-20', 30, calendar);
    // A-1 due 2026-12-20, filed from 2026-11-20; A-2 due 2027-02-01 (later); A-3 was due 2026-06-01 (overdue).
    expect(due.map((d) => [d.device.serial, d.dueDate, d.fileOn])).toEqual([
      ['A-1', '2026-12-20', '2026-11-20'],
      ['A-3', '2026-06-01', '2026-05-02'],
    ]);
    expect(inspectionsToFile(registry, new Map(), '2026-11-19', 30, calendar).map((d) => d.device.serial)).toEqual(['A-3']);
  });

  it('files nothing for a contract without system care, one not valid today, or a due date past the contract’s end', () => {
    const devices = [device('B-1', '2025-12-20')];
    expect(inspectionsToFile(new ContractRegistry([contract({ devices, systemCare: false })]), new Map(), '2026-12-01', 30, calendar)).toEqual([]);
    expect(inspectionsToFile(new ContractRegistry([contract({ devices, validTo: '2026-11-30' })]), new Map(), '2026-12-01', 30, calendar)).toEqual([]);
    expect(inspectionsToFile(new ContractRegistry([contract({ devices, validTo: '2026-12-15' })]), new Map(), '2026-12-01', 30, calendar)).toEqual([]);
  });

  it('moves the next due date on once the gateway records an inspection', () => {
    const registry = new ContractRegistry([contract({ devices: [device('C-1', '2025-12-20')] })]);
    const recorded = new Map([['C1', '2026-12-03']]);
    expect(inspectionsToFile(registry, recorded, '2026-12-04', 30, calendar)).toEqual([]);
    expect(inspectionsToFile(registry, recorded, '2027-11-03', 30, calendar).map((d) => d.dueDate)).toEqual(['2027-12-03']);
  });

  it('keys a filing by the normalized serial and due date', () => {
    expect(inspectionSourceKey('q48-24 00001', '2026-12-20')).toBe('inspection:Q482400001:2026-12-20');
  });
});

describe('overdue alerts', () => {
  const due = Date.parse('2026-12-10T16:00:00Z');
  it('owe nothing before the due time, week 0 at once after it, then one more each 7 days', () => {
    expect(overdueAlertWeek(due, due)).toBeNull();
    expect(overdueAlertWeek(due, due + 1)).toBe(0);
    expect(overdueAlertWeek(due, due + 6 * 86_400_000)).toBe(0);
    expect(overdueAlertWeek(due, due + 7 * 86_400_000 + 1)).toBe(1);
    expect(overdueAlertWeek(due, due + 15 * 86_400_000)).toBe(2);
  });
});

describe('the checklist and closing', () => {
  const registry = new ContractRegistry([contract()]);
  const draft = validateDraft({
    channel: 'schedule',
    kind: 'inspection',
    sourceKey: 'inspection:Q482400001:2026-12-20',
    sentAt: '2026-11-20T05:15:00.000Z',
    reporter: { name: 'myHEZO' },
    serialNumber: 'Q48-24-00001',
    contractNumber: 'HZ-2026-00700',
    language: 'pl',
    raw: { payload: { dueDate: '2026-12-20', dueAt: '2026-12-18T16:00:00.000Z', basis: 'last inspection 2025-12-20 (registry)' } },
  });
  const nowMs = Date.parse('2026-11-20T05:15:01Z');
  const stamped = stampInspectionRequest('HZ-2026-000900', draft, registry, nowMs).request;

  it('stamps an inspection accepted with its due date and no response clock', () => {
    expect(stamped).toMatchObject({ status: 'accepted', kind: 'inspection', channel: 'schedule', customer: 'Huta Testowa S.A.', device: { serial: 'Q48-24-00001' } });
    expect(stamped.inspection).toEqual({ dueDate: '2026-12-20', dueAt: '2026-12-18T16:00:00.000Z', basis: 'last inspection 2025-12-20 (registry)', checklist: {} });
    expect(stamped.responseDeadline).toBeUndefined();
  });

  it('refuses to close before logs, firmware and operation are recorded, naming those missing', () => {
    let request = stamped;
    const record = (item: Parameters<typeof recordInspectionItem>[1]['item'], id: string) => {
      const result = recordInspectionItem(request, { item, atMs: nowMs + 1000, actor: 'engineer:jan', id });
      if (result) request = result.request;
    };
    record({ item: 'logs', errorsFound: false, note: 'brak błędów od 2025-12' }, 'i1');
    record({ item: 'workTests', done: false, result: 'biblioteka w produkcji' }, 'i2');
    expect(missingItems(request.inspection?.checklist ?? {})).toEqual(['firmware', 'operation']);
    const close = () => applyAction(request, { action: 'closed', atMs: Date.parse('2026-12-03T10:00:00Z'), actor: 'engineer:jan', id: 'closed:1' }, calendar);
    try {
      close();
      expect.unreachable('closing should be refused');
    } catch (error) {
      expect(isIntakeError(error) && error.code).toBe('CHECKLIST_INCOMPLETE');
      expect(isIntakeError(error) && error.status).toBe(409);
      expect(isIntakeError(error) && error.details.map((d) => d.path)).toEqual(['checklist.firmware', 'checklist.operation']);
    }
    record({ item: 'firmware', found: '3.2.1', installed: '3.4.0' }, 'i3');
    record({ item: 'operation', working: true }, 'i4');
    const closed = close();
    expect(closed?.request.status).toBe('closed');
    expect(closed?.request.inspection?.doneOn).toBe('2026-12-03');
    // A replayed item changes nothing; a closed record no longer changes.
    expect(recordInspectionItem(request, { item: { item: 'logs', errorsFound: true, note: 'x' }, atMs: nowMs, actor: 'engineer:jan', id: 'i1' })).toBeNull();
    expect(() => closed && recordInspectionItem(closed.request, { item: { item: 'logs', errorsFound: true, note: 'x' }, atMs: nowMs, actor: 'engineer:jan', id: 'i9' })).toThrow(/closed/);
  });

  it('records the Warsaw date of the closing (23:30 UTC on 3 Dec is 4 Dec in Warsaw)', () => {
    const ready = { ...stamped, inspection: { ...stamped.inspection!, checklist: { logs: {} as never, firmware: {} as never, operation: {} as never } } };
    expect(closeInspection(ready, Date.parse('2026-12-03T23:30:00Z')).inspection?.doneOn).toBe('2026-12-04');
  });

  it('leaves requests other than inspections to close as before', () => {
    const service = { ...stamped, kind: 'service' as const, inspection: undefined };
    expect(closeInspection(service, nowMs)).toBe(service);
  });
});

describe('renewal reminders', () => {
  // Each its own device: a later contract listing the same devices would count as its renewal.
  const ending = (validTo: string, changes: Partial<Contract> = {}) =>
    contract({ number: `HZ-2026-${validTo.replace(/-/g, '').slice(2)}`, validTo, devices: [{ serial: `D-${validTo}`, model: 'Qualstar Q48' }], ...changes });

  it('owe the smallest threshold reached: 60, 30 or 7 days before the last day, which itself still counts', () => {
    const registry = new ContractRegistry([ending('2027-01-31'), ending('2027-01-05'), ending('2026-12-11'), ending('2026-12-04'), ending('2027-03-01')]);
    expect(renewalsDue(registry, '2026-12-04', [60, 30, 7]).map((r) => [r.contract.validTo, r.daysLeft, r.threshold])).toEqual([
      ['2026-12-04', 0, 7],
      ['2026-12-11', 7, 7],
      ['2027-01-05', 32, 60],
      ['2027-01-31', 58, 60],
    ]);
    expect(renewalsDue(registry, '2026-12-05', [60, 30, 7]).map((r) => r.contract.validTo)).not.toContain('2026-12-04');
  });

  it('stop once a later contract lists the same devices from the next day on', () => {
    const old = ending('2026-12-31');
    const renewal = contract({ number: 'HZ-2027-00001', validFrom: '2027-01-01', validTo: '2027-12-31', devices: old.devices });
    expect(isRenewed(old, [old, renewal])).toBe(true);
    expect(renewalsDue(new ContractRegistry([old, renewal]), '2026-12-20', [60, 30, 7]).map((r) => r.contract.number)).toEqual([]);
    // A gap between the terms, or a device left out, is no renewal.
    expect(isRenewed(old, [old, { ...renewal, validFrom: '2027-01-10' }])).toBe(false);
    expect(isRenewed(old, [old, { ...renewal, devices: [{ serial: 'OTHER-1', model: 'M' }] }])).toBe(false);
  });

  it('key each reminder by contract, threshold and end date', () => {
    expect(renewalReminderKey(ending('2026-12-31'), 30)).toBe('renewal:HZ2026261231:30:2026-12-31');
  });
});
