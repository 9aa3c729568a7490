/**
 * `/portal`: a small page to try the portal API from a browser in the embedded default. It
 * plays the portal's back end with the demo key (which exists only while no API keys are
 * configured). Static HTML plus a separate script route, so it runs under helmet's default
 * Content-Security-Policy (no inline script).
 */
import { Router } from 'express';
import helmet from 'helmet';
import { escapeHtml } from '../../util/html.js';

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
          result.textContent = 'Request ' + answer.requestNumber + ' (' + answer.status + '). Status: ' + answer.statusUrl;
        } else {
          var details = (answer.error.details || []).map(function (d) { return d.path + ': ' + d.message; }).join('; ');
          result.textContent = 'Error ' + response.status + ': ' + answer.error.message + (details ? ' — ' + details : '');
        }
      });
    }).catch(function (error) { result.textContent = 'Error: ' + error.message; });
  });
})();
`;

function formHtml(demoKey: string | null, apiPath: string): string {
  if (demoKey === null) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>myHEZO portal API</title></head><body>
<h1>myHEZO portal API</h1><p>API keys are configured, so there is no demo key: call the API from the portal's back end. See <a href="${escapeHtml(apiPath)}/docs">the API documentation</a>.</p></body></html>`;
  }
  const field = (name: string, label: string, value: string, type = 'text'): string =>
    `<label>${label}<input name="${name}" type="${type}" value="${escapeHtml(value)}" required></label>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>myHEZO portal API — try it</title><link rel="icon" href="data:,">
<style>body{font:15px/1.4 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.5rem 0}input,textarea,select{display:block;width:100%;padding:.3rem}#result{margin-top:1rem;font-weight:bold}</style>
</head><body>
<h1>File a test request</h1>
<p>This page plays the myHEZO.pl portal's back end with the demo key (it exists only while no API keys are configured). See <a href="${escapeHtml(apiPath)}/docs">the API documentation</a>.</p>
<form id="request-form" data-key="${escapeHtml(demoKey)}" data-api="${escapeHtml(apiPath)}">
${field('name', 'Name', 'Anna Nowak')}
${field('email', 'E-mail', 'anna.nowak@example.pl', 'email')}
<label>Phone<input name="phone" type="tel" value="+48 600 100 200"></label>
${field('contractNumber', 'Contract number', 'HZ-2026-00123')}
${field('serialNumber', 'Serial number', 'XLS812-240517')}
${field('subject', 'Subject', 'Awaria biblioteki taśmowej')}
<label>Description<textarea name="description" required>Robot nie chwyta taśmy.</textarea></label>
<label>Language<select name="language"><option value="pl">polski</option><option value="en">English</option></select></label>
<button type="submit">Send</button>
</form>
<div id="result" role="status"></div>
<script src="/portal/form.js"></script>
</body></html>`;
}

/** The router mounted at `/portal`. */
export function portalFormPage(options: { demoKey: string | null; apiPath: string }): Router {
  const router = Router();
  router.use(helmet());
  const html = formHtml(options.demoKey, options.apiPath);
  router.get('/', (_req, res) => {
    res.type('html').send(html);
  });
  router.get('/form.js', (_req, res) => {
    res.type('application/javascript').send(FORM_SCRIPT);
  });
  return router;
}
