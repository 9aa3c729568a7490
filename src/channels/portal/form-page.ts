/**
 * `/portal`: a small page to try the portal API from a browser in the embedded default, in
 * Polish or English (page-language.ts), and each request's status page (status-page.ts). It
 * plays the portal's back end with the demo key (which exists only while no API keys are
 * configured). Static HTML plus separate script routes, so it runs under helmet's default
 * Content-Security-Policy (no inline script).
 */
import { Router, type Request } from 'express';
import helmet from 'helmet';
import type { Language } from '../../domain/instant-in-words.js';
import type { ServiceRequest } from '../../domain/request.js';
import { parseRequestNumber } from '../../domain/request-number.js';
import { escapeHtml } from '../../util/html.js';
import type { RequestStatusView } from './answers.js';
import { pageLanguage } from './page-language.js';
import { portalPage, renderMessagePage, renderStatusPage, STATUS_SCRIPT } from './status-page.js';

/** The page's script: submits the form as JSON with the demo key and shows the answer. */
const FORM_SCRIPT = `'use strict';
(function () {
  var form = document.getElementById('request-form');
  var result = document.getElementById('result');
  var key = form.getAttribute('data-key');
  var api = form.getAttribute('data-api');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var body = {
      kind: 'service',
      reporter: { name: data.get('name'), email: data.get('email') },
      contractNumber: data.get('contractNumber'),
      serialNumber: data.get('serialNumber'),
      subject: data.get('subject'),
      description: data.get('description'),
      language: data.get('language')
    };
    if (data.get('phone')) body.reporter.phone = data.get('phone');
    result.textContent = '…';
    fetch(api + '/requests', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + key, 'Idempotency-Key': crypto.randomUUID() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          result.setAttribute('data-request-number', answer.requestNumber);
          result.textContent = result.getAttribute('data-ok') + ': ' + answer.requestNumber + '. ';
          var link = document.createElement('a');
          link.id = 'status-link';
          link.href = '/portal/requests/' + encodeURIComponent(answer.requestNumber) + '?lang=' + result.getAttribute('data-lang');
          link.textContent = result.getAttribute('data-status');
          result.appendChild(link);
        } else {
          var details = (answer.error.details || []).map(function (d) { return d.path + ': ' + d.message; }).join('; ');
          result.textContent = result.getAttribute('data-error') + ' ' + response.status + ': ' + answer.error.message + (details ? ' — ' + details : '');
        }
      });
    }).catch(function (error) { result.textContent = 'Error: ' + error.message; });
  });
})();
`;

const FORM_WORDS = {
  pl: {
    title: 'Zgłoś awarię',
    intro: 'Ta strona gra rolę zaplecza portalu myHEZO.pl z kluczem demonstracyjnym (istnieje tylko, dopóki nie skonfigurowano kluczy API). Zobacz',
    docs: 'dokumentację API',
    name: 'Imię i nazwisko', email: 'E-mail', phone: 'Telefon', contract: 'Numer umowy', serial: 'Numer seryjny', subject: 'Temat', description: 'Opis',
    language: 'Język odpowiedzi', send: 'Wyślij',
    ok: 'Przyjęto zgłoszenie', statusLink: 'Zobacz status zgłoszenia', error: 'Błąd',
    noDemo: 'Klucze API są skonfigurowane, więc nie ma klucza demonstracyjnego: wywołuj API z zaplecza portalu. Zobacz',
  },
  en: {
    title: 'Report a fault',
    intro: "This page plays the myHEZO.pl portal's back end with the demo key (it exists only while no API keys are configured). See",
    docs: 'the API documentation',
    name: 'Name', email: 'E-mail', phone: 'Phone', contract: 'Contract number', serial: 'Serial number', subject: 'Subject', description: 'Description',
    language: 'Language of our answers', send: 'Send',
    ok: 'Request filed', statusLink: "See the request's status", error: 'Error',
    noDemo: "API keys are configured, so there is no demo key: call the API from the portal's back end. See",
  },
} as const;

function formHtml(demoKey: string | null, apiPath: string, language: Language): string {
  const words = FORM_WORDS[language];
  const docs = `<a href="${escapeHtml(apiPath)}/docs">${words.docs}</a>`;
  if (demoKey === null) return portalPage({ language, title: 'myHEZO portal API', body: `<p>${words.noDemo} ${docs}.</p>` });
  const field = (name: string, label: string, value: string, type = 'text'): string =>
    `<label>${label}<input name="${name}" type="${type}" value="${escapeHtml(value)}" required></label>`;
  const body = `<p>${words.intro} ${docs}.</p>
<form id="request-form" data-key="${escapeHtml(demoKey)}" data-api="${escapeHtml(apiPath)}">
${field('name', words.name, 'Anna Nowak')}
${field('email', words.email, 'anna.nowak@example.pl', 'email')}
<label>${words.phone}<input name="phone" type="tel" value="+48 600 100 200"></label>
${field('contractNumber', words.contract, 'HZ-2026-00123')}
${field('serialNumber', words.serial, 'XLS812-240517')}
${field('subject', words.subject, 'Awaria biblioteki taśmowej')}
<label>${words.description}<textarea name="description" required>Robot nie chwyta taśmy.</textarea></label>
<label>${words.language}<select name="language"><option value="pl"${language === 'pl' ? ' selected' : ''}>polski</option><option value="en"${language === 'en' ? ' selected' : ''}>English</option></select></label>
<button type="submit">${words.send}</button>
</form>
<div id="result" role="status" data-ok="${escapeHtml(words.ok)}" data-status="${escapeHtml(words.statusLink)}" data-error="${escapeHtml(words.error)}" data-lang="${language}"></div>
<script src="/portal/form.js"></script>`;
  return portalPage({ language, title: words.title, body });
}

/** A request's status for the status page: the customer's view and the stored request (null: still queued), or null when the demo key did not file it. */
export type DemoRequestStatus = (number: string) => Promise<{ view: RequestStatusView; request: ServiceRequest | null } | null>;

/** The router mounted at `/portal`: the form, and each request's status page. */
export function portalFormPage(options: { demoKey: string | null; apiPath: string; status: DemoRequestStatus; now?: () => number }): Router {
  const router = Router();
  router.use(helmet());
  const pages = { pl: formHtml(options.demoKey, options.apiPath, 'pl'), en: formHtml(options.demoKey, options.apiPath, 'en') };
  const languageOf = (req: Request) => pageLanguage(req.query.lang, req.get('accept-language'));
  router.get('/', (req, res) => {
    res.set('Vary', 'Accept-Language').type('html').send(pages[languageOf(req)]);
  });
  router.get('/form.js', (_req, res) => {
    res.type('application/javascript').send(FORM_SCRIPT);
  });
  router.get('/status.js', (_req, res) => {
    res.type('application/javascript').send(STATUS_SCRIPT);
  });
  router.get('/requests/:number', async (req, res, next) => {
    try {
      const language = languageOf(req);
      res.set('Vary', 'Accept-Language').type('html');
      if (options.demoKey === null) {
        res.status(404).send(renderMessagePage(language, 'noDemo'));
        return;
      }
      const number = parseRequestNumber(String(req.params.number));
      const found = number === null ? null : await options.status(number);
      if (!found) {
        res.status(404).send(renderMessagePage(language, 'notFound'));
        return;
      }
      res.send(renderStatusPage({ ...found, language, now: (options.now ?? Date.now)(), demoKey: options.demoKey, apiPath: options.apiPath }));
    } catch (error) {
      next(error);
    }
  });
  return router;
}
