/**
 * `/portal/requests/:number`: a request's status as the reporter reads it, in Polish or
 * English — the status, when an engineer will contact them (the response deadline in words,
 * Warsaw time) or why there is no deadline yet, the device, the files attached, and a form that
 * uploads device logs through the portal API's upload route. Like the form page it plays the
 * portal's back end with the demo key, so it shows only requests filed with that key. The
 * rendering is pure; what a customer may see comes from customerView (status-view.ts).
 */
import { instantInWords, type Language } from '../../domain/instant-in-words.js';
import type { ServiceRequest } from '../../domain/request.js';
import { escapeHtml } from '../../util/html.js';
import type { RequestStatusView } from './answers.js';

/** The page's script: uploads the chosen files as multipart/form-data with the demo key. */
export const STATUS_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('upload-form');
  if (!form) return;
  var result = document.getElementById('upload-result');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new FormData(form);
    result.textContent = '…';
    fetch(form.getAttribute('data-api') + '/requests/' + form.getAttribute('data-number') + '/attachments', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + form.getAttribute('data-key') },
      body: data
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          var names = answer.attachments.map(function (a) { return a.name; }).join(', ');
          result.setAttribute('data-uploaded', names);
          result.textContent = result.getAttribute('data-ok') + ' ' + names;
          form.reset();
        } else {
          result.textContent = result.getAttribute('data-error') + ' ' + answer.error.message;
        }
      });
    }).catch(function (error) { result.textContent = result.getAttribute('data-error') + ' ' + error.message; });
  });
})();
`;

const WORDS = {
  pl: {
    title: 'Zgłoszenie',
    status: 'Status',
    device: 'Urządzenie',
    contract: 'Umowa',
    subject: 'Temat',
    files: 'Załączone pliki',
    noFiles: 'Brak załączonych plików.',
    upload: 'Dołącz logi urządzenia',
    send: 'Wyślij pliki',
    uploaded: 'Przesłano:',
    error: 'Błąd:',
    other: 'English',
    notFound: 'Nie ma takiego zgłoszenia złożonego przez ten portal.',
    noDemo: 'Klucze API są skonfigurowane, więc ta strona demonstracyjna nie działa: status zgłoszenia podaje API portalu.',
    queued: 'Zgłoszenie czeka w kolejce na przyjęcie; odśwież stronę za chwilę.',
    contactBy: (words: string) => `Inżynier skontaktuje się z Tobą ${words}.`,
    contacted: (words: string) => `Inżynier skontaktował się z Tobą ${words}.`,
    waiting: (what: string[]) => `Nie ma jeszcze terminu: czekamy na ${what.join(' i ')}.`,
    serial: 'numer seryjny urządzenia',
    contractNumber: 'numer umowy serwisowej',
    expired: 'Nie ma terminu: umowa serwisowa wygasła. Skontaktujemy się w sprawie dalszych kroków.',
    unconfirmed: 'Nie ma jeszcze terminu: czekamy na potwierdzenie zgłaszającego przez opiekuna umowy.',
  },
  en: {
    title: 'Request',
    status: 'Status',
    device: 'Device',
    contract: 'Contract',
    subject: 'Subject',
    files: 'Attached files',
    noFiles: 'No files attached.',
    upload: 'Attach device logs',
    send: 'Upload files',
    uploaded: 'Uploaded:',
    error: 'Error:',
    other: 'polski',
    notFound: 'There is no such request filed through this portal.',
    noDemo: 'API keys are configured, so this demo page does not work: the portal API gives a request’s status.',
    queued: 'The request is in the queue; refresh this page in a moment.',
    contactBy: (words: string) => `An engineer will contact you ${words}.`,
    contacted: (words: string) => `An engineer contacted you ${words}.`,
    waiting: (what: string[]) => `No deadline yet: waiting for ${what.join(' and ')}.`,
    serial: 'the serial number',
    contractNumber: 'the service contract number',
    expired: 'No deadline: the service contract has expired. We will contact you about the next steps.',
    unconfirmed: 'No deadline yet: the reporter has not been confirmed by the contract’s representative.',
  },
} as const;

const STATUS_LABELS: Record<Language, Record<RequestStatusView['status'], string>> = {
  pl: {
    queued: 'w kolejce',
    'needs-info': 'czeka na dane',
    'unauthorized-reporter': 'czeka na potwierdzenie zgłaszającego',
    'contract-expired': 'umowa wygasła',
    accepted: 'przyjęte',
    contacted: 'w realizacji',
    verified: 'zweryfikowane',
    shipped: 'urządzenie wysłane',
    delivered: 'urządzenie dostarczone',
    returned: 'urządzenie zwrócone',
    closed: 'zamknięte',
  },
  en: {
    queued: 'queued',
    'needs-info': 'waiting for information',
    'unauthorized-reporter': 'waiting for reporter confirmation',
    'contract-expired': 'contract expired',
    accepted: 'accepted',
    contacted: 'in progress',
    verified: 'verified',
    shipped: 'device shipped',
    delivered: 'device delivered',
    returned: 'device returned',
    closed: 'closed',
  },
};

/** When an engineer will (or did) contact the reporter, or why no deadline runs yet. */
export function deadlineSentence(request: ServiceRequest | null, language: Language, now: number): string {
  const words = WORDS[language];
  if (!request) return words.queued;
  if (request.firstResponse) return words.contacted(instantInWords(request.firstResponse.at, language, now, 'at'));
  switch (request.status) {
    case 'needs-info': {
      const missing = [...(request.device ? [] : [words.serial]), ...(request.customer ? [] : [words.contractNumber])];
      return words.waiting(missing.length > 0 ? missing : [words.serial]);
    }
    case 'contract-expired':
      return words.expired;
    case 'unauthorized-reporter':
      return words.unconfirmed;
    default:
      return request.responseDeadline ? words.contactBy(instantInWords(request.responseDeadline.at, language, now)) : '';
  }
}

interface PageShell {
  language: Language;
  title: string;
  body: string;
}

/** The HTML around a page's content: language switch link, viewport for phones, the shared style. */
export function portalPage({ language, title, body }: PageShell): string {
  const other: Language = language === 'pl' ? 'en' : 'pl';
  return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} — myHEZO</title><link rel="icon" href="data:,">
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:42rem;margin:1.5rem auto;padding:0 1rem;color:#1b1f24}header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap}h1{font-size:1.4rem;margin:.2rem 0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.deadline{font-size:1.1rem;padding:.7rem 1rem;background:#eef4fb;border-left:4px solid #2f6db5}label{display:block;margin:.5rem 0}input,textarea,select{display:block;width:100%;box-sizing:border-box;padding:.35rem}button{margin-top:.6rem;padding:.45rem 1rem}#result,#upload-result{margin-top:1rem;font-weight:600}@media (max-width:480px){dl{grid-template-columns:1fr}dd{margin-bottom:.4rem}}</style>
</head><body>
<header><h1>${escapeHtml(title)}</h1><a id="language" href="?lang=${other}" hreflang="${other}" lang="${other}">${WORDS[language].other}</a></header>
${body}
</body></html>`;
}

/** The status page of a request the demo key filed (`request` null: still in the queue). */
export function renderStatusPage(input: {
  view: RequestStatusView;
  request: ServiceRequest | null;
  language: Language;
  now: number;
  demoKey: string;
  apiPath: string;
}): string {
  const { view, request, language } = input;
  const words = WORDS[language];
  const rows: Array<[string, string | undefined]> = [
    [words.status, STATUS_LABELS[language][view.status]],
    [words.device, view.device ? `${view.device.model}, ${view.device.serial}` : view.serialNumber],
    [words.contract, view.contractNumber],
    [words.subject, view.subject],
  ];
  const files = view.attachments.length > 0 ? `<ul id="files">${view.attachments.map((file) => `<li>${escapeHtml(file.name)}</li>`).join('')}</ul>` : `<p id="files">${words.noFiles}</p>`;
  const body = `<p class="deadline" id="deadline">${escapeHtml(deadlineSentence(request, language, input.now))}</p>
<dl>${rows
    .filter(([, value]) => value)
    .map(([label, value]) => `<dt>${label}</dt><dd>${escapeHtml(value as string)}</dd>`)
    .join('')}</dl>
<h2>${words.files}</h2>
${files}
<form id="upload-form" data-key="${escapeHtml(input.demoKey)}" data-api="${escapeHtml(input.apiPath)}" data-number="${escapeHtml(view.requestNumber)}">
<label>${words.upload}<input type="file" name="files" multiple required></label>
<button type="submit">${words.send}</button>
</form>
<div id="upload-result" role="status" data-ok="${words.uploaded}" data-error="${words.error}"></div>
<script src="/portal/status.js"></script>`;
  return portalPage({ language, title: `${words.title} ${view.requestNumber}`, body });
}

/** A page that says only `text` (no demo key, no such request). */
export function renderMessagePage(language: Language, which: 'notFound' | 'noDemo'): string {
  return portalPage({ language, title: 'myHEZO', body: `<p id="message">${WORDS[language][which]}</p>` });
}
