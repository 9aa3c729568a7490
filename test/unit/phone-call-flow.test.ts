/**
 * The IVR state machine and the end of a call, as plain functions over plain data: no server,
 * the demo registry, a fixed clock.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closingReply, draftForCall } from '../../src/channels/phone/call-closing.js';
import { advance, matchSerial, startCall, type CallInput, type CallSession, type FlowContext, type Transition } from '../../src/channels/phone/call-flow.js';
import { spellOut } from '../../src/channels/phone/prompts.js';
import { readTwiml, spokenText } from '../../src/channels/phone/twiml-reader.js';
import { renderReply } from '../../src/channels/phone/twiml.js';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { intakeDraftSchema } from '../../src/domain/request.js';
import { readRegistryFile } from '../../src/registry/registry-file.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

const registry = readRegistryFile(path.join(DEFAULT_CONFIG_DIR, 'contracts.json'));
const context: FlowContext = { registry, maxFailures: 3 };
const calendar = new ServiceCalendar();
const STARTED = '2026-12-01T09:15:00.000Z'; // Tuesday 10:15 Warsaw

function begin(from: string, line: 'hotline' | 'escalation' = 'hotline'): CallSession {
  return startCall({ callSid: 'CA1', line, from, to: '+48122525600', startedAt: STARTED }).session;
}

/** Runs answers in order, returning the last transition. */
function walk(session: CallSession, ...inputs: CallInput[]): Transition {
  let t: Transition = { session, reply: { say: [] } };
  for (const input of inputs) {
    if (t.file) throw new Error('the call was already filed');
    t = advance(t.session, input, context);
  }
  return t;
}

const said = (t: Transition): string => (t.file ? t.prefix.join(' ') : t.reply.say.join(' '));

describe('call flow', () => {
  it('greets in Polish and offers English on 9', () => {
    const { reply, session } = startCall({ callSid: 'CA1', line: 'hotline', from: '+48500000001', to: '+48122525600', startedAt: STARTED });
    expect(reply.say).toContain('For English, press 9.');
    expect(reply.ask).toEqual({ kind: 'key', timeoutSeconds: 3 });
    expect(session.language).toBe('pl');
    expect(walk(session, { digits: '9' }).session.language).toBe('en');
    expect(walk(session, { timedOut: true }).session.language).toBe('pl');
  });

  it('offers the contract of a representative recognised by caller ID', () => {
    const t = walk(begin('+48 600 100 200'), { timedOut: true });
    expect(t.session.step).toBe('contract-offer');
    expect(said(t)).toContain('Witamy, Anna Nowak.');
    expect(walk(t.session, { digits: '1' }).session).toMatchObject({ step: 'serial', contractNumber: 'HZ-2026-00123' });
    expect(walk(t.session, { digits: '2' }).session.step).toBe('contract');
  });

  it('matches typed contract digits, ignoring the letters and dashes of stored numbers', () => {
    // Marek Zieliński represents HZ-2025-00017 (and 00208, offered first): "2" declines the offer.
    const t = walk(begin('+48 603 400 500'), { timedOut: true }, { digits: '2' }, { digits: '202500017' });
    expect(t.session).toMatchObject({ step: 'device-confirm', contractNumber: 'HZ-2025-00017' });
    expect(said(t)).toContain('Umowa H Z, 2 0 2 5, 0 0 0 1 7, Spółdzielnia Mleczarska Mazowsze-Wschód.');
    const filed = walk(t.session, { digits: '1' });
    expect(filed.file).toBe('complete');
    expect(filed.session.serialNumber).toBe('Q80-25-00412');
  });

  it('counts wrong and missing answers and asks for a recording at the limit', () => {
    const t1 = walk(begin('+48500000001'), { timedOut: true }, { digits: '1' });
    expect(said(t1)).toContain('Nie znaleźliśmy umowy o numerze 1.');
    expect(t1.session.failures).toBe(1);
    const t2 = walk(t1.session, { timedOut: true });
    expect(said(t2)).toContain('Nie usłyszeliśmy odpowiedzi.');
    const t3 = walk(t2.session, { digits: '42' });
    expect(t3.session.step).toBe('record');
    expect(t3.file ? undefined : t3.reply.record).toBe(true);
    const done = walk(t3.session, { recordingUrl: 'https://example.test/RE1' });
    expect(done.file).toBe('recording');
    expect(draftForCall(done.session, 'recording').raw).toMatchObject({ location: 'https://example.test/RE1', payload: { recordingUrl: 'https://example.test/RE1' } });
  });

  it('reads a typed contract number back with its customer to its representative, in either language', () => {
    // Piotr Wiśniewski represents HZ-2026-00123; his number is offered, "2" lets him type it.
    const pl = walk(begin('+48 12 345 67 89'), { timedOut: true }, { digits: '2' }, { digits: '202600123' });
    expect(pl.file ? [] : pl.reply.say).toEqual([
      'Umowa H Z, 2 0 2 6, 0 0 1 2 3, Wawel Data Center sp. z o.o.',
      'Wpisz ostatnie cyfry numeru seryjnego uszkodzonego urządzenia i zakończ krzyżykiem, albo powiedz numer seryjny.',
    ]);
    const en = walk(begin('+48 12 345 67 89'), { digits: '9' }, { digits: '2' }, { digits: '202600123' });
    expect(said(en)).toContain('Contract H Z, 2 0 2 6, 0 0 1 2 3, Wawel Data Center sp. z o.o. Enter the last digits');
    // Offered by caller ID, the number and customer were just said: "1" goes straight on.
    const offered = walk(begin('+48 600 100 200'), { timedOut: true }, { digits: '1' });
    expect(said(offered)).not.toContain('Umowa');
  });

  it('reads back to a caller who is not the contract\'s representative only the digits typed: no customer, device or validity', () => {
    // Issue 20: any caller typing a real contract number heard whose it was.
    const contract = walk(begin('+48500000001'), { timedOut: true }, { digits: '202500017' });
    expect(contract.file ? [] : contract.reply.say).toEqual([
      'Wpisany numer umowy: 2 0 2 5 0 0 0 1 7.',
      'Wpisz ostatnie cyfry numeru seryjnego uszkodzonego urządzenia i zakończ krzyżykiem, albo powiedz numer seryjny.',
    ]);
    // Its only device is not offered for confirmation: the caller is asked for the serial.
    expect(contract.session.step).toBe('serial');
    const serial = walk(contract.session, { digits: '00412' });
    expect(said(serial)).toBe('Numer seryjny kończący się na 0 0 4 1 2. Naciśnij 1, aby potwierdzić, lub 2, aby podać go ponownie.');
    expect(said(walk(serial.session, { digits: '5' }))).not.toMatch(/Q 8 0|Q80/);
    const filed = walk(serial.session, { digits: '1' });
    expect(filed.session.serialNumber).toBe('Q80-25-00412');
    const closing = closingReply(filed.session, 'complete', { requestNumber: 'HZ-2026-000042', mode: 'new' }, { registry, calendar, now: Date.parse(STARTED), smsConfirmation: false }).say.join(' ');
    expect(closing).toContain('Sprawdzamy Twoją umowę i urządzenie.');
    expect(closing).not.toMatch(/Spółdzielnia|upoważnionych|Q80/);
    // An expired contract is not announced to a stranger (HZ-2024-00042 ended 2025-09-30), in English either.
    const expired = walk(begin('+48500000001'), { digits: '9' }, { digits: '202400042' });
    expect(said(expired)).toBe('You entered contract number 2 0 2 4 0 0 0 4 2. Enter the last digits of the failed device serial number followed by the hash key, or say the serial number.');
    const expiredClosing = closingReply(walk(expired.session, { digits: '04410' }, { digits: '1' }).session, 'complete', { requestNumber: 'HZ-2026-000043', mode: 'new' }, { registry, calendar, now: Date.parse(STARTED), smsConfirmation: false });
    expect(expiredClosing.say.join(' ')).toContain('We are checking your contract and device.');
    expect(expiredClosing.say.join(' ')).not.toMatch(/renew|expired|Archiwum/);
  });

  it('reads the serial back digit by digit and files only a confirmed one', () => {
    const atSerial = walk(begin('+48600100200'), { timedOut: true }, { digits: '1' });
    const readBack = walk(atSerial.session, { digits: '0517' });
    expect(said(readBack)).toContain('numer seryjny X L S 8 1 2, 2 4 0 5 1 7');
    expect(draftForCall(readBack.session, { reason: 'hang-up', callStatus: 'completed' }).serialNumber).toBeUndefined();
    const retry = walk(readBack.session, { digits: '2' });
    expect(retry.session).toMatchObject({ step: 'serial', candidateSerial: undefined });
    const filed = walk(readBack.session, { digits: '1' });
    expect(filed.file).toBe('complete');
    const draft = draftForCall(filed.session, 'complete');
    expect(intakeDraftSchema.parse(draft)).toMatchObject({
      channel: 'phone',
      sourceKey: 'call:CA1',
      sentAt: STARTED,
      serialNumber: 'XLS812-240517',
      contractNumber: 'HZ-2026-00123',
      reporter: { phone: '+48600100200', name: 'Anna Nowak' },
    });
  });

  it('matches spoken serials whole, by suffix, or by their digits', () => {
    const contract = registry.findContract('HZ-2026-00123');
    if (!contract) throw new Error('demo contract missing');
    expect(matchSerial(registry, contract, '', 'Q48-24-07315').map((d) => d.serial)).toEqual(['Q48-24-07315']);
    expect(matchSerial(registry, contract, '', 'kończy się na 11842').map((d) => d.serial)).toEqual(['Q80-23-11842']);
    expect(matchSerial(registry, contract, '315').map((d) => d.serial)).toEqual(['Q48-24-07315', 'Q48-24-09315']);
    expect(matchSerial(registry, contract, '')).toEqual([]);
  });

  it('asks the escalation line for a 10-digit request number, and accepts 0 for none', () => {
    const asked = walk(begin('+48600100200', 'escalation'), { timedOut: true });
    expect(asked.session.step).toBe('escalation-number');
    expect(said(walk(asked.session, { digits: '123' }))).toContain('Numer zgłoszenia ma 10 cyfr');
    const readBack = walk(asked.session, { digits: '2026000123' });
    expect(said(readBack)).toContain('Zgłoszenie H Z, 2 0 2 6, 0 0 0 1 2 3.');
    const filed = walk(readBack.session, { digits: '1' });
    expect(filed.file).toBe('escalation');
    expect(draftForCall(filed.session, 'escalation')).toMatchObject({ kind: 'escalation', references: ['HZ-2026-000123'] });
    expect(walk(asked.session, { digits: '0' }).file).toBe('escalation');
  });

  it('files an escalation-line caller who fails three times and leaves a message as a new escalation', () => {
    const asked = walk(begin('+48500000001', 'escalation'), { timedOut: true });
    const unknown = { ...context, escalationRequestKnown: false };
    let t: Transition = asked;
    for (const digits of ['2099000001', '2099000002', '2099000003']) t = advance(t.session, { digits }, unknown);
    expect(t.session.step).toBe('record');
    const done = walk(t.session, { recordingUrl: 'https://example.test/RE2' });
    expect(done.file).toBe('recording');
    expect(draftForCall(done.session, 'recording')).toMatchObject({ kind: 'escalation', references: [], subject: 'Eskalacja telefoniczna' });
  });

  it('files an escalation-line hang-up as an escalation of the number read back, even unconfirmed', () => {
    const readBack = walk(begin('+48600100200', 'escalation'), { timedOut: true }, { digits: '2026000123' });
    expect(readBack.session.step).toBe('escalation-confirm');
    const draft = draftForCall(readBack.session, { reason: 'hang-up', callStatus: 'completed' });
    expect(draft).toMatchObject({ kind: 'escalation', references: ['HZ-2026-000123'] });
    expect(draft.description).toContain('niepotwierdzony: HZ-2026-000123');
    const early = draftForCall(begin('+48600100200', 'escalation'), { reason: 'hang-up', callStatus: 'completed' });
    expect(early).toMatchObject({ kind: 'escalation', references: [] });
  });
});

describe('closing words', () => {
  it('says the deadline in words and, outside the 8x5 window, when the clock starts', () => {
    const saturday = { ...begin('+48601200300'), startedAt: '2026-11-28T10:00:00.000Z', contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412' };
    const reply = closingReply(saturday, 'complete', { requestNumber: 'HZ-2026-000042', mode: 'new' }, { registry, calendar, now: Date.parse(saturday.startedAt), smsConfirmation: false });
    const text = reply.say.join(' ');
    expect(text).toContain('Numer Twojego zgłoszenia: H Z, 2 0 2 6, 0 0 0 0 4 2.');
    expect(text).toContain('w poniedziałek 30 listopada do 10:00');
    expect(text).toContain('zacznie biec w poniedziałek 30 listopada o 09:00');
    expect(text).not.toContain('SMS');
    expect(reply.hangup).toBe(true);
  });

  it('tells an escalation-line caller who left a message the escalation number and that the manager was alerted', () => {
    const recorded = { ...begin('+48500000001', 'escalation'), step: 'done' as const, recordingUrl: 'https://example.test/RE3' };
    const result = { requestNumber: 'HZ-2026-000043', mode: 'new' as const };
    const text = closingReply(recorded, 'recording', result, { registry, calendar, now: Date.parse(STARTED), smsConfirmation: false }, ['Dziękujemy, wiadomość została nagrana.']).say.join(' ');
    expect(text).toContain('Eskalacja została zarejestrowana pod numerem H Z, 2 0 2 6, 0 0 0 0 4 3.');
    expect(text).toContain('Kierownik eskalacji został powiadomiony.');
    expect(text).not.toContain('Oddzwonimy, aby uzupełnić brakujące dane.');
    const en = closingReply({ ...recorded, language: 'en' }, 'recording', { ...result, mode: 'attach' }, { registry, calendar, now: Date.parse(STARTED), smsConfirmation: false });
    expect(en.say).toContain('The escalation manager has been alerted.');
  });

  it('spells numbers one character at a time, groups by pauses', () => {
    expect(spellOut('HZ-2026-000123')).toBe('H Z, 2 0 2 6, 0 0 0 1 2 3');
    expect(spellOut('q48 24.07315')).toBe('Q 4 8, 2 4, 0 7 3 1 5');
  });
});

describe('TwiML', () => {
  it('renders a question as <Gather> with its words inside and a <Redirect> for silence, and reads it back', () => {
    const xml = renderReply(
      { say: ['A & B <C>'], ask: { kind: 'serial', timeoutSeconds: 8 } },
      'en',
      { step: '/twilio/voice/step', recorded: '/twilio/voice/recorded' },
      { voicePl: 'Polly.Ewa', voiceEn: 'Polly.Joanna' } as never,
    );
    const verbs = readTwiml(xml);
    expect(verbs.map((v) => v.name)).toEqual(['Gather', 'Redirect']);
    expect(verbs[0]?.attributes).toMatchObject({ input: 'dtmf speech', language: 'en-US', finishOnKey: '#', action: '/twilio/voice/step' });
    expect(spokenText(verbs)).toEqual(['A & B <C>']);
    expect(verbs[1]?.text).toBe('/twilio/voice/step?noInput=1');
    expect(() => readTwiml('<Response><Say>x</Gather></Response>')).toThrow(/closes/);
  });
});
