/**
 * What the gateway says to reporters (acknowledgment mail, SMS) and to engineers (alerts), in
 * Polish and English. Pure functions over plain data: no I/O, and "now" is a parameter so that
 * "dziś / jutro / w poniedziałek" can be tested. Times are shown in Warsaw time (DESIGN.md §3).
 *
 * Polish day names are kept here rather than taken from Intl: a deadline needs the accusative
 * ("w środę", "w sobotę"), which ICU does not provide, and the tables keep the wording the same
 * on a Node built with small ICU.
 *
 * Reporter messages and engineer alerts share that wording and the tables, hence one file; if it
 * grows further, the alerts (renderAlert and its tables) are the part to move out.
 */
import { DateTime } from 'luxon';
import type { ServiceRequest } from '../domain/request.js';
import { requestTag, withoutRequestTags } from '../domain/thread-keys.js';
import { warsawClock, type WarsawClock } from '../domain/warsaw-time.js';
import { IntakeError } from '../errors.js';

export type Language = 'pl' | 'en';
export type AcknowledgmentStatus = 'accepted' | 'needs-info' | 'unauthorized-reporter' | 'contract-expired';
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

/** A rendered mail: subject and plain-text body. */
export interface RenderedMail {
  subject: string;
  text: string;
}

/** A rendered engineer alert: mail subject and body, and the JSON body of the webhook. */
export interface RenderedAlert extends RenderedMail {
  payload: Record<string, unknown>;
}

/** One UCS-2 SMS segment: Polish letters (ą, ł, ę...) are outside GSM-7, so 70 characters, not 160. */
export const SMS_SEGMENT_CHARS = 70;

const ZONE = 'Europe/Warsaw';
const PL_WEEKDAYS_ACCUSATIVE = ['poniedziałek', 'wtorek', 'środę', 'czwartek', 'piątek', 'sobotę', 'niedzielę'];
const PL_WEEKDAYS_SHORT = ['pon.', 'wt.', 'śr.', 'czw.', 'pt.', 'sob.', 'ndz.'];
const PL_MONTHS_GENITIVE = ['stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia'];
const EN_WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * An instant in words, relative to `now`, in Warsaw time: "dziś do 10:30", "jutro do 09:30",
 * "w poniedziałek 28 grudnia do 09:30" / "today by 10:30", "on Monday 28 December by 09:30".
 * `style: 'at'` says when something starts ("jutro o 09:00", "tomorrow at 09:00"). Day words
 * follow the Warsaw calendar day, so 23:50 → 00:30 is "jutro" even though 40 minutes apart.
 */
export function instantInWords(iso: string, language: Language, now: number, style: 'by' | 'at' = 'by'): string {
  // Warsaw wall-clock parts without luxon: this runs on every closing of a call (a caller is
  // waiting for the webhook's answer), and luxon took ~170 µs for it.
  const at = warsawClock(Date.parse(iso));
  const today = warsawClock(now);
  const dayOf = (c: WarsawClock): number => Date.UTC(c.year, c.month - 1, c.day);
  const days = Math.round((dayOf(at) - dayOf(today)) / 86_400_000);
  const time = `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`;
  // 0 = Monday, as the weekday tables are.
  const weekday = (new Date(dayOf(at)).getUTCDay() + 6) % 7;
  const year = at.year === today.year ? '' : ` ${at.year}`;
  if (language === 'pl') {
    const word = style === 'by' ? 'do' : 'o';
    if (days === 0) return `dziś ${word} ${time}`;
    if (days === 1) return `jutro ${word} ${time}`;
    const preposition = weekday === 1 ? 'we' : 'w';
    return `${preposition} ${PL_WEEKDAYS_ACCUSATIVE[weekday]} ${at.day} ${PL_MONTHS_GENITIVE[at.month - 1]}${year} ${word} ${time}`;
  }
  const word = style === 'by' ? 'by' : 'at';
  if (days === 0) return `today ${word} ${time}`;
  if (days === 1) return `tomorrow ${word} ${time}`;
  return `on ${EN_WEEKDAYS[weekday]} ${at.day} ${EN_MONTHS[at.month - 1]}${year} ${word} ${time}`;
}

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
      const when = shortInstant(input.responseDeadline, input.language, now);
      return pl ? `HEZO: zgłoszenie ${n} przyjęte, kontakt ${when}` : `HEZO: request ${n} accepted, contact ${when}`;
    }
    case 'needs-info':
      return pl ? `HEZO: zgłoszenie ${n}, brak nr seryjnego/umowy, oddzwonimy` : `HEZO: request ${n} needs serial/contract no., we will call`;
    case 'unauthorized-reporter':
      return pl ? `HEZO: zgłoszenie ${n} czeka na potwierdzenie zgłaszającego` : `HEZO: request ${n} awaits reporter confirmation`;
    case 'contract-expired':
      return pl ? `HEZO: zgłoszenie ${n}, umowa wygasła, oddzwonimy` : `HEZO: request ${n}, contract expired, we will call`;
  }
}

/** Events engineers (and the escalation manager) are alerted about. */
export type AlertEvent =
  | 'new-request'
  | 'needs-attention'
  | 'warning'
  | 'breach'
  | 'escalation'
  | 'delivery-reminder'
  | 'delivery-breach'
  | 'return-reminder'
  | 'return-overdue'
  | 'mailbox-down'
  | 'mailbox-up';

export interface AlertInput {
  /** The request the alert is about; its number, status, customer, device and deadlines are shown. */
  request?: ServiceRequest;
  /** Without a stored request (or to override it). */
  requestNumber?: string;
  /** Engineers read Polish by default. */
  language?: Language;
  status?: string;
  customer?: string;
  /** The deadline the alert is about (ISO); by default the request's deadline for the event. */
  deadline?: string;
  /** Minutes before that deadline (window-minutes for response warnings). */
  minutesBefore?: number;
  /** The mailbox that went down or came back. */
  mailbox?: string;
  /** Why: the mailbox error, the escalation's words, why a request needs a person. */
  reason?: string;
  /** Link to the request on the ops page. */
  opsUrl?: string;
  /** Instead of the second argument of renderAlert. */
  now?: number;
}

/** An alert for engineers: mail subject and text, and a webhook payload (with `text` for chat hooks). */
export function renderAlert(event: AlertEvent, input: AlertInput, now?: number): RenderedAlert {
  const nowMs = now ?? input.now ?? Date.now();
  const language = input.language ?? 'pl';
  const pl = language === 'pl';
  const request = input.request;
  const requestNumber = input.requestNumber ?? request?.number;
  const status = input.status ?? request?.status;
  const customer = input.customer ?? request?.customer;
  const kind = DEADLINE_OF[event];
  const deadlineAt = input.deadline ?? (kind && request ? request[`${kind}Deadline`]?.at : undefined);
  const deadline = deadlineAt ? instantInWords(deadlineAt, language, nowMs) : undefined;
  const before = input.minutesBefore === undefined ? '?' : duration(input.minutesBefore);
  const statusLabel = status ? (STATUS_LABELS[language][status] ?? status) : undefined;
  const mailbox = oneLine(input.mailbox ?? '?');
  const headline = ((): string => {
    switch (event) {
      case 'new-request':
        return (pl ? 'Nowe zgłoszenie' : 'New request') + (customer ? `: ${oneLine(customer)}` : '');
      case 'needs-attention':
        return (pl ? 'Zgłoszenie wymaga uwagi' : 'Request needs attention') + (statusLabel ? `: ${statusLabel}` : '');
      case 'warning':
        return pl ? `Ostrzeżenie: ${before} do terminu reakcji` : `Warning: ${before} to the response deadline`;
      case 'breach':
        return pl ? 'Przekroczony termin reakcji' : 'Response deadline breached';
      case 'escalation':
        return pl ? 'Eskalacja zgłoszenia' : 'Request escalated';
      case 'delivery-reminder':
        return pl ? `Przypomnienie: ${before} do terminu dostawy` : `Reminder: ${before} to the delivery deadline`;
      case 'delivery-breach':
        return pl ? 'Przekroczony termin dostawy' : 'Delivery deadline breached';
      case 'return-reminder':
        return pl ? `Przypomnienie: ${before} do terminu zwrotu urządzenia` : `Reminder: ${before} to the device return deadline`;
      case 'return-overdue':
        return pl ? 'Uszkodzone urządzenie nie wróciło w terminie' : 'Damaged device not returned on time';
      case 'mailbox-down':
        return pl ? `Skrzynka ${mailbox} niedostępna` : `Mailbox ${mailbox} unreachable`;
      case 'mailbox-up':
        return pl ? `Skrzynka ${mailbox} znów dostępna` : `Mailbox ${mailbox} reachable again`;
    }
  })();
  const tag = requestNumber ? `${requestTag(requestNumber)} ` : '';
  const subject = `${tag}${headline}${deadline && event !== 'new-request' ? ` (${deadline})` : ''}`;

  const labels = LABELS[language];
  const reporter = request?.reporter;
  const fields: Array<[string, string | undefined]> = [
    [labels.request, requestNumber],
    [labels.status, statusLabel],
    [labels.customer, customer],
    [labels.device, request?.device ? `${request.device.model}, ${request.device.serial}` : undefined],
    [labels.reporter, reporter ? [reporter.name, reporter.email, reporter.phone].filter(Boolean).join(', ') : undefined],
    [labels.channel, request?.channel],
    [labels.subject, request?.subject],
    [labels[kind ?? 'response'], deadline && deadlineAt ? `${deadline} (${warsaw(deadlineAt).toFormat('yyyy-MM-dd HH:mm')})` : undefined],
    [labels.reason, input.reason ?? request?.reason],
    [labels.link, input.opsUrl],
  ];
  const details = fields.filter(([, value]) => value).map(([label, value]) => `${label}: ${oneLine(value as string)}`);
  if (event === 'mailbox-down') {
    details.push(pl ? 'Nowa poczta z tej skrzynki nie trafia do zgłoszeń, dopóki połączenie nie wróci.' : 'New mail in this mailbox does not become requests until the connection is back.');
  }
  const payload: Record<string, unknown> = {
    event,
    at: new Date(nowMs).toISOString(),
    ...definedOnly({
      requestNumber,
      status,
      customer,
      device: request?.device,
      channel: request?.channel,
      deadlineKind: deadlineAt ? (kind ?? 'response') : undefined,
      deadline: deadlineAt,
      minutesBefore: input.minutesBefore,
      mailbox: input.mailbox,
      reason: input.reason ?? request?.reason,
      opsUrl: input.opsUrl,
    }),
    text: `${subject}\n${details.join('\n')}`,
  };
  return { subject, text: [headline, '', ...details].join('\n'), payload };
}

/** Which of the request's deadlines an event is about. */
const DEADLINE_OF: Record<AlertEvent, 'response' | 'delivery' | 'return' | undefined> = {
  'new-request': 'response',
  'needs-attention': undefined,
  warning: 'response',
  breach: 'response',
  escalation: 'response',
  'delivery-reminder': 'delivery',
  'delivery-breach': 'delivery',
  'return-reminder': 'return',
  'return-overdue': 'return',
  'mailbox-down': undefined,
  'mailbox-up': undefined,
};

/** 15 → "15 min", 60 → "1 h", 90 → "1 h 30 min", 1440 → "24 h". */
function duration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = Math.round(minutes % 60);
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
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
  },
  en: {
    accepted: 'Request accepted',
    'needs-info': 'Request needs more information',
    'unauthorized-reporter': 'Request awaits reporter confirmation',
    'contract-expired': 'Service contract expired',
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

const LABELS: Record<Language, Record<'request' | 'status' | 'customer' | 'device' | 'reporter' | 'channel' | 'subject' | 'response' | 'delivery' | 'return' | 'reason' | 'link', string>> = {
  pl: { request: 'Zgłoszenie', status: 'Status', customer: 'Klient', device: 'Urządzenie', reporter: 'Zgłaszający', channel: 'Kanał', subject: 'Temat', response: 'Termin reakcji', delivery: 'Termin dostawy', return: 'Termin zwrotu', reason: 'Powód', link: 'Link' },
  en: { request: 'Request', status: 'Status', customer: 'Customer', device: 'Device', reporter: 'Reporter', channel: 'Channel', subject: 'Subject', response: 'Response deadline', delivery: 'Delivery deadline', return: 'Return deadline', reason: 'Reason', link: 'Link' },
};

/** Request statuses in engineers' words (RequestStatus values; anything else is shown as is). */
const STATUS_LABELS: Record<Language, Record<string, string>> = {
  pl: { 'needs-info': 'brak danych', 'unauthorized-reporter': 'niepotwierdzony zgłaszający', 'contract-expired': 'umowa wygasła', accepted: 'przyjęte', contacted: 'po kontakcie', verified: 'zweryfikowane', shipped: 'wysłane', delivered: 'dostarczone', returned: 'zwrócone', closed: 'zamknięte' },
  en: { 'needs-info': 'missing data', 'unauthorized-reporter': 'unconfirmed reporter', 'contract-expired': 'contract expired', accepted: 'accepted', contacted: 'contacted', verified: 'verified', shipped: 'shipped', delivered: 'delivered', returned: 'returned', closed: 'closed' },
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

/** "dziś do 10:30", "jutro do 09:30", "pon. 28.12 do 09:30" / "Mon 28 Dec by 09:30": SMS-sized. */
function shortInstant(iso: string, language: Language, now: number): string {
  const at = warsaw(iso);
  const days = Math.round(at.startOf('day').diff(DateTime.fromMillis(now, { zone: ZONE }).startOf('day'), 'days').days);
  if (days === 0 || days === 1) return instantInWords(iso, language, now);
  const time = at.toFormat('HH:mm');
  if (language === 'pl') return `${PL_WEEKDAYS_SHORT[at.weekday - 1]} ${at.toFormat('d.MM')} do ${time}`;
  return `${EN_WEEKDAYS[at.weekday - 1]?.slice(0, 3)} ${at.day} ${EN_MONTHS[at.month - 1]?.slice(0, 3)} by ${time}`;
}

function warsaw(iso: string): DateTime {
  const at = DateTime.fromISO(iso, { setZone: true });
  if (!at.isValid) throw new IntakeError('INSTANT_INVALID', `Not an ISO-8601 instant: "${iso}".`);
  return at.setZone(ZONE);
}

/** Text from reporters ends up in subjects and one-line fields: no line breaks, no control characters. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
