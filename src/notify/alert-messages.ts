/**
 * What the gateway says to engineers and the escalation manager: alerts by mail and webhook, in
 * Polish (by default) and English. Pure functions over plain data: no I/O, and "now" is a
 * parameter. Times are shown in Warsaw time (DESIGN.md §3), in the words of
 * domain/instant-in-words.ts.
 */
import type { ServiceRequest } from '../domain/request.js';
import { requestTag } from '../domain/thread-keys.js';
import { instantInWords, warsawInstant, type Language } from '../domain/instant-in-words.js';
import { oneLine, type RenderedMail } from './message-text.js';

/** A rendered engineer alert: mail subject and body, and the JSON body of the webhook. */
export interface RenderedAlert extends RenderedMail {
  payload: Record<string, unknown>;
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
  | 'mailbox-up'
  | 'acknowledgment-undeliverable';

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
      case 'acknowledgment-undeliverable':
        return pl ? 'Potwierdzenie nie dotarło do zgłaszającego' : 'Acknowledgment could not be delivered to the reporter';
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
    [labels[kind ?? 'response'], deadline && deadlineAt ? `${deadline} (${warsawInstant(deadlineAt).toFormat('yyyy-MM-dd HH:mm')})` : undefined],
    [labels.reason, input.reason ?? request?.reason],
    [labels.link, input.opsUrl],
  ];
  const details = fields.filter(([, value]) => value).map(([label, value]) => `${label}: ${oneLine(value as string)}`);
  if (event === 'acknowledgment-undeliverable') {
    details.push(pl ? 'Adres zgłaszającego jest błędny: skontaktuj się z nim inaczej (telefon, przedstawiciel klienta).' : "The reporter's address is wrong: reach them another way (phone, the customer's representative).");
  }
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
  'acknowledgment-undeliverable': undefined,
};

/** 15 → "15 min", 60 → "1 h", 90 → "1 h 30 min", 1440 → "24 h". */
function duration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = Math.round(minutes % 60);
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

const LABELS: Record<Language, Record<'request' | 'status' | 'customer' | 'device' | 'reporter' | 'channel' | 'subject' | 'response' | 'delivery' | 'return' | 'reason' | 'link', string>> = {
  pl: { request: 'Zgłoszenie', status: 'Status', customer: 'Klient', device: 'Urządzenie', reporter: 'Zgłaszający', channel: 'Kanał', subject: 'Temat', response: 'Termin reakcji', delivery: 'Termin dostawy', return: 'Termin zwrotu', reason: 'Powód', link: 'Link' },
  en: { request: 'Request', status: 'Status', customer: 'Customer', device: 'Device', reporter: 'Reporter', channel: 'Channel', subject: 'Subject', response: 'Response deadline', delivery: 'Delivery deadline', return: 'Return deadline', reason: 'Reason', link: 'Link' },
};

/** Request statuses in engineers' words (RequestStatus values; anything else is shown as is). */
const STATUS_LABELS: Record<Language, Record<string, string>> = {
  pl: { 'needs-info': 'brak danych', 'unauthorized-reporter': 'niepotwierdzony zgłaszający', 'contract-expired': 'umowa wygasła', accepted: 'przyjęte', contacted: 'po kontakcie', verified: 'zweryfikowane', shipped: 'wysłane', delivered: 'dostarczone', returned: 'zwrócone', closed: 'zamknięte' },
  en: { 'needs-info': 'missing data', 'unauthorized-reporter': 'unconfirmed reporter', 'contract-expired': 'contract expired', accepted: 'accepted', contacted: 'contacted', verified: 'verified', shipped: 'shipped', delivered: 'delivered', returned: 'returned', closed: 'closed' },
};

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
