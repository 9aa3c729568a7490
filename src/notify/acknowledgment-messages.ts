/**
 * What the gateway says to reporters: the acknowledgment mail and the SMS after a call, in
 * Polish and English. Pure functions over plain data: no I/O, and "now" is a parameter so that
 * "dziś / jutro / w poniedziałek" can be tested. Times are shown in Warsaw time (DESIGN.md §3);
 * the words for an instant are domain/instant-in-words.ts's, which the IVR says too.
 */
import { requestTag, withoutRequestTags } from '../domain/thread-keys.js';
import { instantInWords, shortInstantInWords, type Language } from '../domain/instant-in-words.js';
import { oneLine, type RenderedMail } from './message-text.js';

/**
 * `checking` is what anyone who is not a representative of the matched contract is told
 * (DESIGN.md section 9): the request number and that the contract and device are being
 * checked, never whose contract it is, nor whether it exists, expired or covers the serial.
 */
export type AcknowledgmentStatus = 'accepted' | 'needs-info' | 'unauthorized-reporter' | 'contract-expired' | 'checking';
export type MissingItem = 'serial' | 'contract';

export interface AcknowledgmentInput {
  requestNumber: string;
  language: Language;
  status: AcknowledgmentStatus;
  /** ISO instant by which an engineer contacts the reporter (accepted requests). */
  responseDeadline?: string;
  /** ISO instant at which the response clock starts, when that is later than now (outside service hours). */
  clockStartsAt?: string;
  /** What the reporter still has to send (needs-info); both when not given. */
  missing?: MissingItem[];
  customer?: string;
  device?: { serial: string; model: string };
  contractNumber?: string;
  /** The reporter's own subject; the reply keeps it so that the reporter's mail client threads it. */
  subject?: string;
  /** Instead of the second argument of renderAcknowledgment / renderSms. */
  now?: number;
}

/** One UCS-2 SMS segment: Polish letters (ą, ł, ę...) are outside GSM-7, so 70 characters, not 160. */
export const SMS_SEGMENT_CHARS = 70;

/** The acknowledgment mail to the reporter: request number, deadline or what is still needed. */
export function renderAcknowledgment(input: AcknowledgmentInput, nowArg?: number): RenderedMail {
  const now = nowArg ?? input.now ?? Date.now();
  const pl = input.language === 'pl';
  const n = input.requestNumber;
  const tag = requestTag(n);
  const body: string[] = [pl ? 'Dzień dobry,' : 'Hello,', ''];

  switch (input.status) {
    case 'accepted': {
      body.push(pl ? `Zgłoszenie przyjęte. Numer zgłoszenia: ${n}.` : `Request accepted. Request number: ${n}.`);
      body.push(...caseDetails(input), '');
      if (input.responseDeadline) {
        const when = instantInWords(input.responseDeadline, input.language, now);
        body.push(pl ? `Inżynier HEZO skontaktuje się z Tobą ${when} (czasu polskiego).` : `A HEZO engineer will contact you ${when} (Polish time).`);
      } else {
        body.push(pl ? 'Inżynier HEZO skontaktuje się z Tobą w ciągu 1 godziny w godzinach serwisu.' : 'A HEZO engineer will contact you within 1 hour of service time.');
      }
      if (input.clockStartsAt && Date.parse(input.clockStartsAt) > now) {
        const start = instantInWords(input.clockStartsAt, input.language, now, 'at');
        body.push(
          pl
            ? `Zgłoszenie wpłynęło poza godzinami serwisu, dlatego czas reakcji zaczyna biec ${start}.`
            : `Your request arrived outside service hours, so the response time starts ${start}.`,
        );
      }
      break;
    }
    case 'needs-info': {
      const missing = input.missing && input.missing.length > 0 ? input.missing : (['serial', 'contract'] as const);
      const names = missing.map((item) => MISSING_NAMES[input.language][item]).join(pl ? ' i ' : ' and ');
      body.push(
        pl ? `Zarejestrowaliśmy zgłoszenie ${n}, ale nie możemy go jeszcze przyjąć.` : `We have registered request ${n} but cannot accept it yet.`,
        ...caseDetails(input),
        '',
        pl
          ? 'Warunki serwisu wymagają do przyjęcia zgłoszenia numeru seryjnego uszkodzonego urządzenia oraz numeru umowy serwisowej.'
          : 'The service terms require the serial number of the failed device and the service contract number to accept a request.',
        pl ? `Brakuje: ${names}.` : `Missing: ${names}.`,
        '',
        pl
          ? `Prosimy odpowiedzieć na tę wiadomość, podając brakujące dane i zachowując w temacie numer ${tag}. Czas reakcji (do 1 godziny w godzinach serwisu) zacznie biec, gdy je otrzymamy.`
          : `Please reply to this message with the missing details, keeping ${tag} in the subject. The response time (up to 1 hour of service time) starts when we receive them.`,
      );
      break;
    }
    case 'unauthorized-reporter':
      body.push(
        pl ? `Zarejestrowaliśmy zgłoszenie ${n}.` : `We have registered request ${n}.`,
        ...caseDetails(input),
        '',
        pl
          ? 'Zgłoszenia przyjmujemy od upoważnionych przedstawicieli klienta wskazanych w umowie serwisowej, a nie znaleźliśmy Cię na tej liście.'
          : "Requests are accepted from the customer's authorized representatives named in the service contract, and we could not find you among them.",
        pl
          ? 'Inżynier HEZO potwierdzi Twoje uprawnienia i skontaktuje się z Tobą; czas reakcji liczy się od tego potwierdzenia.'
          : 'A HEZO engineer will confirm you as a reporter and contact you; the response time starts from that confirmation.',
      );
      break;
    case 'checking':
      body.push(
        pl ? `Zarejestrowaliśmy zgłoszenie ${n}.` : `We have registered request ${n}.`,
        '',
        pl ? 'Sprawdzamy Twoją umowę i urządzenie.' : 'We are checking your contract and device.',
        pl
          ? 'Inżynier HEZO skontaktuje się z Tobą po sprawdzeniu; czas reakcji (do 1 godziny w godzinach serwisu) liczy się od potwierdzenia.'
          : 'A HEZO engineer will contact you once it is checked; the response time (up to 1 hour of service time) starts from that confirmation.',
      );
      break;
    case 'contract-expired': {
      const contract = input.contractNumber ? ` ${oneLine(input.contractNumber)}` : '';
      body.push(
        pl
          ? `Zarejestrowaliśmy zgłoszenie ${n}, ale umowa serwisowa${contract} nie obowiązywała w dniu zgłoszenia.`
          : `We have registered request ${n}, but the service contract${contract} was not valid on the day of the request.`,
        ...caseDetails(input),
        '',
        // The renewal notice of the service terms (seed/service-terms.txt), not a paraphrase.
        pl
          ? 'Usługi HEZO Assistance AHB / SOS można odnowić. Jeżeli usługa zostanie odnowiona po terminie, może zostać naliczona dodatkowa opłata wsteczna, tzw. „opłata reaktywacyjna” (reactivation fee).'
          : 'HEZO Assistance AHB / SOS services can be renewed. If the service is renewed after the deadline, an additional retroactive fee may be imposed, the so-called "reactivation fee".',
        pl
          ? 'Przedstawiciel myHEZO skontaktuje się z Tobą w sprawie odnowienia umowy i tego zgłoszenia.'
          : 'A myHEZO representative will contact you about renewing the contract and about this request.',
      );
      break;
    }
  }

  if (input.status !== 'needs-info') {
    body.push(
      '',
      pl
        ? `Odpowiadając na tę wiadomość, zachowaj w temacie numer ${tag} — odpowiedź trafi wtedy do tego zgłoszenia.`
        : `When you reply, keep ${tag} in the subject so that your message is added to this request.`,
    );
  }
  body.push('', '-- ', ...FOOTER[input.language]);
  return { subject: ackSubject(input), text: body.join('\n') };
}

/**
 * The SMS confirmation after a call: "HEZO: zgłoszenie HZ-2026-000123 przyjęte, kontakt dziś do
 * 10:30". Kept within one UCS-2 segment (tested for every status): days beyond tomorrow are
 * written short ("pon. 28.12", "Mon 28 Dec").
 */
export function renderSms(
  input: Pick<AcknowledgmentInput, 'requestNumber' | 'language' | 'status' | 'responseDeadline' | 'now'>,
  nowArg?: number,
): string {
  const now = nowArg ?? input.now ?? Date.now();
  const n = input.requestNumber;
  const pl = input.language === 'pl';
  switch (input.status) {
    case 'accepted': {
      if (!input.responseDeadline) return pl ? `HEZO: zgłoszenie ${n} przyjęte, kontakt w ciągu 1 h` : `HEZO: request ${n} accepted, contact within 1 h`;
      const when = shortInstantInWords(input.responseDeadline, input.language, now);
      return pl ? `HEZO: zgłoszenie ${n} przyjęte, kontakt ${when}` : `HEZO: request ${n} accepted, contact ${when}`;
    }
    case 'needs-info':
      return pl ? `HEZO: zgłoszenie ${n}, brak nr seryjnego/umowy, oddzwonimy` : `HEZO: request ${n} needs serial/contract no., we will call`;
    case 'unauthorized-reporter':
      return pl ? `HEZO: zgłoszenie ${n} czeka na potwierdzenie zgłaszającego` : `HEZO: request ${n} awaits reporter confirmation`;
    case 'contract-expired':
      return pl ? `HEZO: zgłoszenie ${n}, umowa wygasła, oddzwonimy` : `HEZO: request ${n}, contract expired, we will call`;
    case 'checking':
      return pl ? `HEZO: zgłoszenie ${n}, sprawdzamy umowę i urządzenie` : `HEZO: request ${n}, checking your contract and device`;
  }
}

const MISSING_NAMES: Record<Language, Record<MissingItem, string>> = {
  pl: { serial: 'numeru seryjnego urządzenia', contract: 'numeru umowy serwisowej' },
  en: { serial: 'the serial number of the device', contract: 'the service contract number' },
};

const HEADLINES: Record<Language, Record<AcknowledgmentStatus, string>> = {
  pl: {
    accepted: 'Zgłoszenie przyjęte',
    'needs-info': 'Zgłoszenie wymaga uzupełnienia',
    'unauthorized-reporter': 'Zgłoszenie czeka na potwierdzenie zgłaszającego',
    'contract-expired': 'Umowa serwisowa wygasła',
    checking: 'Zgłoszenie zarejestrowane',
  },
  en: {
    accepted: 'Request accepted',
    'needs-info': 'Request needs more information',
    'unauthorized-reporter': 'Request awaits reporter confirmation',
    'contract-expired': 'Service contract expired',
    checking: 'Request registered',
  },
};

const FOOTER: Record<Language, string[]> = {
  pl: [
    'Ta wiadomość została wysłana automatycznie.',
    'myHEZO — serwis HEZO',
    'Infolinia: +48 12 25 25 600 · pomoc@myhezo.pl · myHEZO.pl',
    'Eskalacja: escalation@myhezo.pl · +48 12 25 25 502',
  ],
  en: [
    'This message was sent automatically.',
    'myHEZO — HEZO service',
    'Hotline: +48 12 25 25 600 · pomoc@myhezo.pl · myHEZO.pl',
    'Escalation: escalation@myhezo.pl · +48 12 25 25 502',
  ],
};

/**
 * "Re: <their subject> [HZ-…]" keeps the reporter's thread together in their mail client; with
 * no subject, the tag and what happened. Earlier Re:/Odp:/Fwd: prefixes and tags are dropped so
 * that a long exchange does not grow "Re: Re: [HZ-…] [HZ-…]".
 */
function ackSubject(input: AcknowledgmentInput): string {
  return subjectInThread(input.requestNumber, input.subject, HEADLINES[input.language][input.status]);
}

/**
 * The subject of our mail about a request: "Re: <the reporter's subject> [HZ-…]" so that their
 * mail client threads it, or "[HZ-…] <headline>" when they gave none. Every mail of ours to a
 * reporter (acknowledgment, an engineer's reply, a merge notice) uses it.
 */
export function subjectInThread(requestNumber: string, reporterSubject: string | undefined, headline: string): string {
  const tag = requestTag(requestNumber);
  const own = withoutRequestTags(oneLine(reporterSubject ?? ''))
    .replace(/^(\s*(re|odp|odp\.|aw|sv|fw|fwd|pd|pd\.)\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!own) return `${tag} ${headline}`;
  const clipped = own.length > 150 ? `${own.slice(0, 149)}…` : own;
  return `Re: ${clipped} ${tag}`;
}

function caseDetails(input: AcknowledgmentInput): string[] {
  const pl = input.language === 'pl';
  const lines: string[] = [];
  if (input.customer) lines.push(`${pl ? 'Klient' : 'Customer'}: ${oneLine(input.customer)}`);
  if (input.device) {
    lines.push(pl ? `Urządzenie: ${oneLine(input.device.model)}, numer seryjny ${oneLine(input.device.serial)}` : `Device: ${oneLine(input.device.model)}, serial number ${oneLine(input.device.serial)}`);
  }
  return lines;
}
