import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { ServiceRequest } from '../../src/domain/request.js';
import { instantInWords, type Language } from '../../src/domain/instant-in-words.js';
import { SMS_SEGMENT_CHARS, renderAcknowledgment, renderSms, type AcknowledgmentStatus } from '../../src/notify/acknowledgment-messages.js';
import { renderAlert } from '../../src/notify/alert-messages.js';

const at = (iso: string): number => Date.parse(iso);
const NUMBER = 'HZ-2026-000123';

describe('deadlines in words (Warsaw time, relative to now)', () => {
  it('says "dziś do 10:15" / "today by 10:15" for a deadline later the same day', () => {
    const now = at('2026-03-10T09:15:00+01:00');
    expect(instantInWords('2026-03-10T09:15:00.000Z', 'pl', now)).toBe('dziś do 10:15');
    expect(instantInWords('2026-03-10T09:15:00.000Z', 'en', now)).toBe('today by 10:15');
  });

  it('says "jutro do 09:30" / "tomorrow by 09:30" for the next day', () => {
    const now = at('2026-03-10T16:30:00+01:00');
    expect(instantInWords('2026-03-11T08:30:00.000Z', 'pl', now)).toBe('jutro do 09:30');
    expect(instantInWords('2026-03-11T08:30:00.000Z', 'en', now)).toBe('tomorrow by 09:30');
  });

  it('names the weekday and date further out: Wed 23 Dec 16:30 is due "w poniedziałek 28 grudnia do 09:30"', () => {
    const now = at('2026-12-23T16:30:00+01:00');
    expect(instantInWords('2026-12-28T08:30:00.000Z', 'pl', now)).toBe('w poniedziałek 28 grudnia do 09:30');
    expect(instantInWords('2026-12-28T08:30:00.000Z', 'en', now)).toBe('on Monday 28 December by 09:30');
  });

  it('uses the Polish accusative and "we" before wtorek', () => {
    const now = at('2026-03-06T16:30:00+01:00'); // Friday
    expect(instantInWords('2026-03-10T08:30:00.000Z', 'pl', now)).toBe('we wtorek 10 marca do 09:30');
    expect(instantInWords('2026-03-11T08:30:00.000Z', 'pl', now)).toBe('w środę 11 marca do 09:30');
    expect(instantInWords('2026-03-14T08:30:00.000Z', 'pl', now)).toBe('w sobotę 14 marca do 09:30');
    expect(instantInWords('2026-03-15T08:30:00.000Z', 'pl', now)).toBe('w niedzielę 15 marca do 09:30');
  });

  it('counts days by the Warsaw calendar across midnight, not by UTC', () => {
    // 23:50 Warsaw → 00:20 Warsaw: the same UTC day, but tomorrow in Warsaw.
    expect(instantInWords('2026-03-10T23:20:00.000Z', 'pl', at('2026-03-10T23:50:00+01:00'))).toBe('jutro do 00:20');
    // 00:10 Warsaw → 01:10 Warsaw: different UTC days, but today in Warsaw.
    expect(instantInWords('2026-03-10T00:10:00.000Z', 'en', at('2026-03-10T00:10:00+01:00'))).toBe('today by 01:10');
  });

  it('shows wall-clock Warsaw time across the DST jump (01:30 +01:00 + 60 min = 03:30 +02:00)', () => {
    expect(instantInWords('2026-03-29T01:30:00.000Z', 'pl', at('2026-03-29T01:30:00+01:00'))).toBe('dziś do 03:30');
  });

  it('adds the year when the deadline falls in the next one, and says "o" / "at" for a start', () => {
    const now = at('2026-12-30T16:30:00+01:00');
    expect(instantInWords('2027-01-04T08:30:00.000Z', 'pl', now)).toBe('w poniedziałek 4 stycznia 2027 do 09:30');
    expect(instantInWords('2026-12-31T08:00:00.000Z', 'pl', now, 'at')).toBe('jutro o 09:00');
    expect(instantInWords('2027-01-04T08:00:00.000Z', 'en', now, 'at')).toBe('on Monday 4 January 2027 at 09:00');
  });

  it('says what luxon says in Europe/Warsaw for any instant and now, across both summer-time switches (fast-check)', () => {
    // The reference: the same words through luxon's zone data (the implementation uses warsawClock).
    const reference = (iso: string, language: Language, now: number, style: 'by' | 'at'): string => {
      const when = DateTime.fromISO(iso, { zone: 'Europe/Warsaw' });
      const today = DateTime.fromMillis(now, { zone: 'Europe/Warsaw' }).startOf('day');
      const days = Math.round(when.startOf('day').diff(today, 'days').days);
      const time = when.toFormat('HH:mm');
      const year = when.year === today.year ? '' : ` ${when.year}`;
      if (language === 'pl') {
        const word = style === 'by' ? 'do' : 'o';
        if (days === 0) return `dziś ${word} ${time}`;
        if (days === 1) return `jutro ${word} ${time}`;
        const weekday = when.setLocale('pl').toFormat('cccc').replace(/a$/, 'ę');
        return `${when.weekday === 2 ? 'we' : 'w'} ${weekday} ${when.setLocale('pl').toFormat('d MMMM')}${year} ${word} ${time}`;
      }
      const word = style === 'by' ? 'by' : 'at';
      if (days === 0) return `today ${word} ${time}`;
      if (days === 1) return `tomorrow ${word} ${time}`;
      return `on ${when.setLocale('en').toFormat('cccc d LLLL')}${year} ${word} ${time}`;
    };
    const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 11, 31) });
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 20 * 86_400_000 }), fc.constantFrom<Language>('pl', 'en'), fc.constantFrom('by' as const, 'at' as const), (now, ahead, language, style) => {
        const iso = new Date(now + ahead).toISOString();
        expect(instantInWords(iso, language, now, style)).toBe(reference(iso, language, now, style));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the acknowledgment mail', () => {
  const now = at('2026-03-10T09:15:00+01:00');

  it('accepted (pl): tag in the subject, "Zgłoszenie przyjęte" and the deadline in words', () => {
    const mail = renderAcknowledgment(
      {
        requestNumber: NUMBER,
        language: 'pl',
        status: 'accepted',
        responseDeadline: '2026-03-10T09:15:00.000Z',
        customer: 'Łódzkie Zakłady Energetyczne',
        device: { serial: 'QS-48-000777', model: 'Qualstar Q48' },
      },
      now,
    );
    expect(mail.subject).toBe('[HZ-2026-000123] Zgłoszenie przyjęte');
    expect(mail.text).toContain('Zgłoszenie przyjęte. Numer zgłoszenia: HZ-2026-000123.');
    expect(mail.text).toContain('Inżynier HEZO skontaktuje się z Tobą dziś do 10:15 (czasu polskiego).');
    expect(mail.text).toContain('Klient: Łódzkie Zakłady Energetyczne');
    expect(mail.text).toContain('Urządzenie: Qualstar Q48, numer seryjny QS-48-000777');
    expect(mail.text).toContain('zachowaj w temacie numer [HZ-2026-000123]');
    expect(mail.text).toContain('Ta wiadomość została wysłana automatycznie.');
  });

  it('accepted (en) outside service hours says when the clock starts', () => {
    const saturday = at('2026-03-07T11:00:00+01:00');
    const mail = renderAcknowledgment(
      { requestNumber: NUMBER, language: 'en', status: 'accepted', responseDeadline: '2026-03-09T09:00:00.000Z', clockStartsAt: '2026-03-09T08:00:00.000Z' },
      saturday,
    );
    expect(mail.subject).toBe('[HZ-2026-000123] Request accepted');
    expect(mail.text).toContain('A HEZO engineer will contact you on Monday 9 March by 10:00 (Polish time).');
    expect(mail.text).toContain('outside service hours, so the response time starts on Monday 9 March at 09:00.');
  });

  it('keeps the reporter\'s subject (without old Re:/tags) so their mail client threads it', () => {
    const mail = renderAcknowledgment({ requestNumber: NUMBER, language: 'pl', status: 'accepted', subject: 'RE: Odp: Awaria Q24 [hz-2026-000123]\r\nBcc: x@y.pl' }, now);
    expect(mail.subject).toBe('Re: Awaria Q24 Bcc: x@y.pl [HZ-2026-000123]');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('needs-info (pl) names what is missing, that the terms require both, and asks to reply with the tag', () => {
    const mail = renderAcknowledgment({ requestNumber: NUMBER, language: 'pl', status: 'needs-info', missing: ['serial'] }, now);
    expect(mail.subject).toBe('[HZ-2026-000123] Zgłoszenie wymaga uzupełnienia');
    expect(mail.text).toContain('wymagają do przyjęcia zgłoszenia numeru seryjnego uszkodzonego urządzenia oraz numeru umowy serwisowej');
    expect(mail.text).toContain('Brakuje: numeru seryjnego urządzenia.');
    expect(mail.text).toContain('zachowując w temacie numer [HZ-2026-000123]');
    expect(mail.text).not.toContain('skontaktuje się z Tobą dziś');
  });

  it('needs-info (en) lists both when both are missing', () => {
    const mail = renderAcknowledgment({ requestNumber: NUMBER, language: 'en', status: 'needs-info', missing: ['serial', 'contract'] }, now);
    expect(mail.text).toContain('Missing: the serial number of the device and the service contract number.');
    expect(mail.text).toContain('keeping [HZ-2026-000123] in the subject');
  });

  it('unauthorized-reporter says an engineer will confirm the reporter', () => {
    const pl = renderAcknowledgment({ requestNumber: NUMBER, language: 'pl', status: 'unauthorized-reporter' }, now);
    expect(pl.text).toContain('Inżynier HEZO potwierdzi Twoje uprawnienia');
    const en = renderAcknowledgment({ requestNumber: NUMBER, language: 'en', status: 'unauthorized-reporter' }, now);
    expect(en.text).toContain('A HEZO engineer will confirm you as a reporter');
  });

  it('contract-expired gives the renewal and reactivation-fee notice of the terms', () => {
    const pl = renderAcknowledgment({ requestNumber: NUMBER, language: 'pl', status: 'contract-expired', contractNumber: 'HZ-2024-00077' }, now);
    expect(pl.subject).toBe('[HZ-2026-000123] Umowa serwisowa wygasła');
    expect(pl.text).toContain('umowa serwisowa HZ-2024-00077 nie obowiązywała w dniu zgłoszenia');
    expect(pl.text).toContain('tzw. „opłata reaktywacyjna”');
    expect(pl.text).toContain('Przedstawiciel myHEZO skontaktuje się z Tobą');
    const en = renderAcknowledgment({ requestNumber: NUMBER, language: 'en', status: 'contract-expired' }, now);
    expect(en.text).toContain('If the service is renewed after the deadline, an additional retroactive fee may be imposed, the so-called "reactivation fee".');
  });
});

describe('the SMS confirmation', () => {
  it('reads like "HEZO: zgłoszenie HZ-2026-000123 przyjęte, kontakt dziś do 10:30"', () => {
    const now = at('2026-03-10T09:30:00+01:00');
    expect(renderSms({ requestNumber: NUMBER, language: 'pl', status: 'accepted', responseDeadline: '2026-03-10T09:30:00.000Z' }, now)).toBe(
      'HEZO: zgłoszenie HZ-2026-000123 przyjęte, kontakt dziś do 10:30',
    );
    const wednesday = at('2026-12-23T16:30:00+01:00');
    expect(renderSms({ requestNumber: NUMBER, language: 'en', status: 'accepted', responseDeadline: '2026-12-28T08:30:00.000Z' }, wednesday)).toBe(
      'HEZO: request HZ-2026-000123 accepted, contact Mon 28 Dec by 09:30',
    );
  });

  const deadlines = [
    ['today', '2026-03-10T09:30:00.000Z'],
    ['tomorrow', '2026-03-11T08:30:00.000Z'],
    ['a weekday', '2026-03-16T08:30:00.000Z'],
    ['the longest Polish day', '2026-03-15T08:30:00.000Z'],
    ['no deadline', undefined],
  ] as const;
  const statuses: AcknowledgmentStatus[] = ['accepted', 'needs-info', 'unauthorized-reporter', 'contract-expired', 'checking'];
  const languages: Language[] = ['pl', 'en'];
  for (const language of languages) {
    for (const status of statuses) {
      for (const [label, responseDeadline] of deadlines) {
        it(`fits one UCS-2 segment (${SMS_SEGMENT_CHARS} chars): ${language}, ${status}, ${label}`, () => {
          const text = renderSms({ requestNumber: NUMBER, language, status, responseDeadline }, at('2026-03-10T09:00:00+01:00'));
          expect(text.length).toBeLessThanOrEqual(SMS_SEGMENT_CHARS);
          expect(text).toContain(NUMBER);
        });
      }
    }
  }
});

describe('engineer alerts', () => {
  const now = at('2026-03-10T09:45:00+01:00');
  const request: ServiceRequest = {
    number: NUMBER,
    status: 'accepted',
    acceptability: 'accepted',
    channel: 'email',
    kind: 'service',
    escalated: false,
    sourceKey: 'mail:<a@b>',
    sentAt: '2026-03-10T08:00:00.000Z',
    stampedAt: '2026-03-10T08:00:01.000Z',
    language: 'pl',
    reporter: { name: 'Anna Nowak', email: 'anna@acme.pl' },
    customer: 'ACME',
    device: { serial: 'QS-1', model: 'Qualstar Q24' },
    subject: 'Awaria',
    attachments: [],
    raw: {},
    responseDeadline: { at: '2026-03-10T09:00:00.000Z', trace: '' },
    deliveryDeadline: { at: '2026-03-11T16:00:00.000Z', trace: '' },
    appliedSources: [],
    updatedAt: '2026-03-10T08:00:01.000Z',
    version: 1,
  };

  it('a warning names the request, the minutes left and the deadline, in subject, text and payload', () => {
    const alert = renderAlert('warning', { request, minutesBefore: 15, now });
    expect(alert.subject).toBe('[HZ-2026-000123] Ostrzeżenie: 15 min do terminu reakcji (dziś do 10:00)');
    expect(alert.text).toContain('Klient: ACME');
    expect(alert.text).toContain('Urządzenie: Qualstar Q24, QS-1');
    expect(alert.text).toContain('Zgłaszający: Anna Nowak, anna@acme.pl');
    expect(alert.text).toContain('Termin reakcji: dziś do 10:00 (2026-03-10 10:00)');
    expect(alert.payload).toMatchObject({ event: 'warning', requestNumber: NUMBER, minutesBefore: 15, deadlineKind: 'response', deadline: '2026-03-10T09:00:00.000Z' });
    expect(alert.payload.text).toContain('Ostrzeżenie');
  });

  it('delivery and return reminders show their own deadline and the time left in hours', () => {
    const delivery = renderAlert('delivery-reminder', { request, minutesBefore: 60, now });
    expect(delivery.subject).toBe('[HZ-2026-000123] Przypomnienie: 1 h do terminu dostawy (jutro do 17:00)');
    expect(delivery.text).toContain('Termin dostawy: jutro do 17:00');
    const ret = renderAlert('return-reminder', { request, minutesBefore: 1440, deadline: '2026-03-17T10:00:00.000Z', language: 'en', now });
    expect(ret.subject).toBe('[HZ-2026-000123] Reminder: 24 h to the device return deadline (on Tuesday 17 March by 11:00)');
  });

  it('a request that needs a person says why, in engineers\' words', () => {
    const alert = renderAlert('needs-attention', { request: { ...request, status: 'contract-expired', reason: 'contract ended 2026-01-31' }, now });
    expect(alert.subject).toBe('[HZ-2026-000123] Zgłoszenie wymaga uwagi: umowa wygasła');
    expect(alert.text).toContain('Powód: contract ended 2026-01-31');
  });

  it('renders breach, escalation, new-request and mailbox alerts, in English on request', () => {
    expect(renderAlert('breach', { requestNumber: NUMBER, language: 'en', deadline: '2026-03-10T08:30:00.000Z' }, now).subject).toBe(
      '[HZ-2026-000123] Response deadline breached (today by 09:30)',
    );
    expect(renderAlert('escalation', { requestNumber: NUMBER, language: 'en', reason: 'no call yet' }, now).text).toContain('Reason: no call yet');
    expect(renderAlert('new-request', { request, now }).subject).toBe('[HZ-2026-000123] Nowe zgłoszenie: ACME');
    const down = renderAlert('mailbox-down', { mailbox: 'pomoc@myhezo.pl', reason: 'ECONNREFUSED' }, now);
    expect(down.subject).toBe('Skrzynka pomoc@myhezo.pl niedostępna');
    expect(down.payload).toMatchObject({ event: 'mailbox-down', mailbox: 'pomoc@myhezo.pl', reason: 'ECONNREFUSED' });
  });

  it('takes "now" inside the input too (as the dispatcher passes it)', () => {
    const input = { requestNumber: NUMBER, language: 'pl' as const, status: 'accepted' as const, responseDeadline: '2026-03-11T08:30:00.000Z', now: at('2026-03-10T16:00:00+01:00') };
    expect(renderAcknowledgment(input).text).toContain('skontaktuje się z Tobą jutro do 09:30');
    expect(renderSms(input)).toBe('HEZO: zgłoszenie HZ-2026-000123 przyjęte, kontakt jutro do 09:30');
  });
});
