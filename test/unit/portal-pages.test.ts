/**
 * The portal pages' pure rules: which language a page is in, and what the status page says
 * about the deadline — in words relative to now (Warsaw time), or why there is none yet.
 */
import { describe, expect, it } from 'vitest';
import { pageLanguage } from '../../src/channels/portal/page-language.js';
import { deadlineSentence } from '../../src/channels/portal/status-page.js';
import type { ServiceRequest } from '../../src/domain/request.js';

/** Friday 2026-11-20 17:30 Europe/Warsaw (CET, +01:00). */
const FRIDAY_1730 = Date.parse('2026-11-20T16:30:00Z');

function request(overrides: Partial<ServiceRequest>): ServiceRequest {
  return {
    number: 'HZ-2026-000001', status: 'accepted', acceptability: 'accepted', channel: 'portal', kind: 'service', escalated: false, sourceKey: 'portal:demo:x',
    sentAt: '2026-11-20T16:00:00Z', stampedAt: '2026-11-20T16:00:01Z', language: 'pl', reporter: {}, attachments: [], raw: {}, appliedSources: [],
    updatedAt: '2026-11-20T16:00:01Z', version: 1, customer: 'Biblioteka', device: { serial: 'XLS812-240517', model: 'Qualstar XLS-812' }, ...overrides,
  };
}

describe('portal page language', () => {
  it('takes ?lang= first, then the preferred of Polish and English in Accept-Language, else Polish', () => {
    expect(pageLanguage('en', 'pl-PL,pl;q=0.9')).toBe('en');
    expect(pageLanguage('pl', 'en-GB')).toBe('pl');
    expect(pageLanguage(undefined, 'de-DE,de;q=0.9,en;q=0.8,pl;q=0.7')).toBe('en');
    expect(pageLanguage(undefined, 'en;q=0.5, pl-PL;q=0.8')).toBe('pl');
    expect(pageLanguage(undefined, 'en-US,pl;q=0')).toBe('en');
    expect(pageLanguage('fr', 'fr-FR,de')).toBe('pl');
    expect(pageLanguage(undefined, undefined)).toBe('pl');
    expect(pageLanguage(['en', 'pl'], 'pl')).toBe('pl');
  });
});

describe('status page deadline', () => {
  it('says when an engineer will call, in words and Warsaw time', () => {
    const monday = request({ responseDeadline: { at: '2026-11-23T08:30:00Z', trace: '' } });
    expect(deadlineSentence(monday, 'pl', FRIDAY_1730)).toBe('Inżynier skontaktuje się z Tobą w poniedziałek 23 listopada do 09:30.');
    expect(deadlineSentence(monday, 'en', FRIDAY_1730)).toBe('An engineer will contact you on Monday 23 November by 09:30.');
    const tonight = request({ responseDeadline: { at: '2026-11-20T20:30:00Z', trace: '' } });
    expect(deadlineSentence(tonight, 'pl', FRIDAY_1730)).toBe('Inżynier skontaktuje się z Tobą dziś do 21:30.');
  });

  it('says why no deadline runs: the serial, the contract, an expired contract, an unconfirmed reporter, the queue', () => {
    expect(deadlineSentence(request({ status: 'needs-info', device: undefined }), 'pl', FRIDAY_1730)).toBe('Nie ma jeszcze terminu: czekamy na numer seryjny urządzenia.');
    expect(deadlineSentence(request({ status: 'needs-info', device: undefined }), 'en', FRIDAY_1730)).toBe('No deadline yet: waiting for the serial number.');
    expect(deadlineSentence(request({ status: 'needs-info', device: undefined, customer: undefined }), 'en', FRIDAY_1730)).toBe(
      'No deadline yet: waiting for the serial number and the service contract number.',
    );
    expect(deadlineSentence(request({ status: 'contract-expired' }), 'pl', FRIDAY_1730)).toContain('umowa serwisowa wygasła');
    expect(deadlineSentence(request({ status: 'unauthorized-reporter' }), 'en', FRIDAY_1730)).toContain('has not been confirmed');
    expect(deadlineSentence(null, 'pl', FRIDAY_1730)).toContain('w kolejce');
  });

  it('says when the engineer called, once they have', () => {
    const contacted = request({ status: 'contacted', firstResponse: { at: '2026-11-20T15:10:00Z', by: 'ewa', met: true }, responseDeadline: { at: '2026-11-20T20:30:00Z', trace: '' } });
    expect(deadlineSentence(contacted, 'pl', FRIDAY_1730)).toBe('Inżynier skontaktował się z Tobą dziś o 16:10.');
  });
});
