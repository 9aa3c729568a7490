import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/domain/contract-terms.js';
import type { Inspection } from '../../src/domain/inspections.js';
import { checklistLines, renderInspectionDateMail, renderRenewalMail } from '../../src/inspections/care-messages.js';

const contract: Contract = {
  number: 'HZ-2026-00800',
  customer: 'Huta Testowa S.A.',
  package: 'AHB',
  window: '8x5',
  onsite: null,
  validFrom: '2026-01-01',
  validTo: '2026-12-30',
  devices: [{ serial: 'Q48-24-07315', model: 'Qualstar Q48' }],
  representatives: [{ name: 'Ewa Kowal', email: 'ewa.kowal@example.pl', phone: '+48600700800' }],
};

describe('care messages', () => {
  it('ask for an inspection date in Polish first, then English, with the due date', () => {
    const mail = renderInspectionDateMail({ requestNumber: 'HZ-2026-000001', contract, device: contract.devices[0]!, dueDate: '2026-12-20' });
    expect(mail.subject).toBe('[HZ-2026-000001] Przegląd roczny Qualstar Q48 Q48-24-07315 — prosimy o uzgodnienie terminu / Yearly inspection: please agree a date');
    expect(mail.text.indexOf('Przegląd należy wykonać do 2026-12-20')).toBeGreaterThan(-1);
    expect(mail.text.indexOf('It is due by 2026-12-20')).toBeGreaterThan(mail.text.indexOf('Przegląd należy wykonać'));
  });

  it('write the checklist as filled in, in Warsaw time, with items left out marked as such', () => {
    const inspection: Inspection = {
      dueDate: '2026-12-20',
      dueAt: '2026-12-18T16:00:00.000Z',
      basis: 'x',
      checklist: {
        logs: { item: 'logs', errorsFound: false, note: 'brak błędów', at: '2026-12-03T09:30:00.000Z', by: 'engineer:jan' },
        workTests: { item: 'workTests', done: false, result: 'biblioteka w produkcji', at: '2026-12-03T10:00:00.000Z', by: 'engineer:jan' },
      },
    };
    expect(checklistLines(inspection, 'pl')).toEqual([
      '- Przegląd logów urządzenia (czy wystąpiły błędy): błędy: nie — brak błędów (czw. 2026-12-03 10:30, jan)',
      '- Sprawdzenie wersji oprogramowania (firmware) i aktualizacja w razie potrzeby: nie odnotowano',
      '- Sprawdzenie działania urządzenia po aktualizacji: nie odnotowano',
      '- Testy robocze (w miarę możliwości): pominięte — biblioteka w produkcji (czw. 2026-12-03 11:00, jan)',
    ]);
    expect(checklistLines(inspection, 'en')[1]).toBe('- Firmware version checked and updated if necessary: not recorded');
  });

  it('tell sales how many days are left and why renewing early matters', () => {
    const mail = renderRenewalMail(contract, 26);
    expect(mail.subject).toBe('Umowa HZ-2026-00800 kończy się 2026-12-30 (za 26 dni) / Contract ends in 26 days');
    expect(mail.text).toContain('opłaty reaktywacyjnej');
    expect(mail.text).toContain('reactivation fee');
  });
});
