/**
 * The few HTML documents the server renders: the sign-in form and the page shell that loads
 * app.js. Everything that varies is escaped here; request data never enters server HTML at
 * all — the browser fetches it as JSON and writes it with textContent.
 */
import type { Response } from 'express';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import type { UrgencyLevel } from '../../domain/running-clock.js';
import { escapeHtml } from '../../util/html.js';

/**
 * The ops page's Content-Security-Policy: scripts and styles only from our own files, no
 * inline code, no framing, forms only to ourselves. Injected markup in a mail subject could
 * neither run nor load anything even if it ever reached the DOM as HTML.
 */
export const OPS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src https://api.twilio.com https://*.twilio.com; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers for every ops page answer (HTML, JSON, SSE and downloads alike). */
export function setSecurityHeaders(res: Response, csp = OPS_CSP): void {
  res.set({
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
}

const SIGN_IN_TEXT = {
  pl: { title: 'Logowanie — myHEZO ops', heading: 'Logowanie inżyniera', login: 'Login', password: 'Hasło', submit: 'Zaloguj', other: 'English' },
  en: { title: 'Sign in — myHEZO ops', heading: 'Engineer sign-in', login: 'Login', password: 'Password', submit: 'Sign in', other: 'Polski' },
} as const;

/** The sign-in form with its CSRF token; `message` is shown above it (already in the right language). */
export function signInPage(options: { csrf: string; language: 'pl' | 'en'; message?: string; login?: string }): string {
  const t = SIGN_IN_TEXT[options.language];
  const other = options.language === 'pl' ? 'en' : 'pl';
  return `<!doctype html>
<html lang="${options.language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title><link rel="stylesheet" href="/ops/assets/app.css"></head>
<body class="sign-in">
<main>
<h1>${t.heading}</h1>
${options.message ? `<p class="message" role="alert">${escapeHtml(options.message)}</p>` : ''}
<form method="post" action="/ops/sign-in">
<input type="hidden" name="_csrf" value="${escapeHtml(options.csrf)}">
<input type="hidden" name="language" value="${options.language}">
<label>${t.login} <input name="login" autocomplete="username" required value="${escapeHtml(options.login ?? '')}"></label>
<label>${t.password} <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${t.submit}</button>
</form>
<p><a href="/ops/sign-in?lang=${other}">${t.other}</a></p>
</main>
</body>
</html>`;
}

/**
 * The shell of the list and the detail view: app.js does the rest from JSON. The urgency levels
 * (from settings' warning minutes) and the request number's pattern travel in meta tags, so
 * that the browser colours a ticking countdown at the same thresholds as the server and knows a
 * request's address, without copies of either in app.js. The engineers' names (settings, not
 * request data) let the page say who owns a request and who did what.
 */
export function pageShell(options: {
  csrf: string;
  language: 'pl' | 'en';
  engineer: string;
  login: string;
  engineers: Readonly<Record<string, string>>;
  urgency: readonly UrgencyLevel[];
}): string {
  return `<!doctype html>
<html lang="${options.language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(options.csrf)}">
<meta name="engineer" content="${escapeHtml(options.engineer)}">
<meta name="engineer-login" content="${escapeHtml(options.login)}">
<meta name="engineers" content="${escapeHtml(JSON.stringify(options.engineers))}">
<meta name="urgency-levels" content="${escapeHtml(JSON.stringify(options.urgency))}">
<meta name="request-number" content="${escapeHtml(REQUEST_NUMBER.source)}">
<title>myHEZO ops</title><link rel="stylesheet" href="/ops/assets/app.css">
<script type="module" src="/ops/assets/app.js"></script></head>
<body><div id="app" aria-live="polite"></div></body>
</html>`;
}
