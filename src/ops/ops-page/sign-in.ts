/**
 * Engineer sign-in for the ops page: accounts from settings (bcrypt hashes), or a demo
 * account for the embedded default; sessions in Redis (sessions.ts); a lock-out after
 * repeated failures; and the guards every other ops route sits behind (signed in, CSRF token
 * on every state-changing request).
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Settings } from '../../settings.js';
import { IntakeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { setSecurityHeaders, signInPage } from './html.js';
import { csrfMatches, type OpsSession, type SessionStore } from './sessions.js';

/** An engineer who may sign in. */
export interface EngineerAccount {
  passwordHash: string;
  name: string;
  language: 'pl' | 'en';
}

let demo: { login: string; password: string; passwordHash: string } | undefined;

/**
 * The demo account of the embedded default (no engineers configured): login `demo` and a
 * password made once per process, for the lead to print at start like the API token.
 */
export function demoCredentials(): { login: string; password: string } {
  demo ??= (() => {
    const password = randomBytes(12).toString('base64url');
    return { login: 'demo', password, passwordHash: bcrypt.hashSync(password, 10) };
  })();
  return { login: demo.login, password: demo.password };
}

/** The accounts that may sign in: the configured engineers, or only the demo account. */
export function engineerAccounts(settings: Pick<Settings, 'ops'>): Readonly<Record<string, EngineerAccount>> {
  if (Object.keys(settings.ops.engineers).length > 0) return settings.ops.engineers;
  demoCredentials();
  return { demo: { passwordHash: demo?.passwordHash ?? '', name: 'Demo engineer', language: 'pl' } };
}

/** The cookie's name and flags: Secure over HTTPS (or when configured), never readable by scripts. */
export function sessionCookie(settings: Pick<Settings, 'ops' | 'http'>): { name: string; secure: boolean } {
  const secure = settings.ops.cookieSecure || settings.http.publicUrl.startsWith('https:');
  // `__Host-` makes browsers refuse the cookie unless Secure, host-only and Path=/.
  return { name: secure ? '__Host-hezo_ops' : 'hezo_ops', secure };
}

/**
 * A bcrypt hash that matches nothing, compared against for unknown logins. It has the highest
 * cost among the accounts' hashes: each step of cost doubles the time, so a cheaper dummy
 * answers unknown logins several times faster than known ones and tells which logins exist.
 * Made asynchronously (a cost-12 hash takes a quarter of a second of CPU).
 */
export async function noAccountHash(accounts: Readonly<Record<string, EngineerAccount>>): Promise<string> {
  // Settings only let bcrypt hashes through (`$2b$12$…`); 4 is bcrypt's lowest cost.
  const cost = Math.max(4, ...Object.values(accounts).map((account) => bcrypt.getRounds(account.passwordHash)));
  return bcrypt.hash(randomBytes(16).toString('hex'), cost);
}

export interface SignInDeps {
  sessions: SessionStore;
  settings: Pick<Settings, 'ops' | 'http'>;
  logger: Logger;
}

/** Reads the session of a request (or null) and keeps it on res.locals. */
export function loadSession(deps: SignInDeps): RequestHandler {
  const cookie = sessionCookie(deps.settings);
  return async (req, res, next) => {
    res.locals.opsSession = await deps.sessions.get(readCookie(req, cookie.name));
    next();
  };
}

/** The session of a request loaded by `loadSession`. */
export function sessionOf(res: Response): OpsSession | null {
  return (res.locals.opsSession as OpsSession | null | undefined) ?? null;
}

/** Only signed-in engineers: pages redirect to the sign-in form, everything else answers 401. */
export function requireEngineer(): RequestHandler {
  return (req, res, next) => {
    const session = sessionOf(res);
    if (session?.login) {
      next();
      return;
    }
    if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
      res.redirect(303, '/ops/sign-in');
      return;
    }
    next(new IntakeError('UNAUTHORIZED', 'Sign in at /ops/sign-in first.'));
  };
}

/** Every state-changing request carries the session's CSRF token (form field or X-CSRF-Token header). */
export function requireCsrf(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      next();
      return;
    }
    const session = sessionOf(res);
    const body = req.body as Record<string, unknown> | undefined;
    const presented = req.get('x-csrf-token') ?? body?._csrf;
    if (session && csrfMatches(session, presented)) {
      next();
      return;
    }
    next(new IntakeError('FORBIDDEN', 'The CSRF token is missing or wrong; reload the page and try again.'));
  };
}

/** GET/POST /ops/sign-in and POST /ops/sign-out. */
export function signInRoutes(deps: SignInDeps): Router {
  const router = Router();
  const cookie = sessionCookie(deps.settings);
  const accounts = engineerAccounts(deps.settings);
  // Made at the first unknown login, not at start: most processes never see one.
  let unknownLoginHash: Promise<string> | undefined;
  const setCookie = (res: Response, session: OpsSession, maxAgeSeconds: number): void => {
    res.cookie(cookie.name, session.id, { httpOnly: true, sameSite: 'strict', secure: cookie.secure, path: '/', maxAge: maxAgeSeconds * 1000 });
  };
  const form = async (res: Response, status: number, language: 'pl' | 'en', message?: string, login?: string): Promise<void> => {
    // A fresh anonymous session per form: its token is what the POST must bring back.
    const session = await deps.sessions.create({ language });
    setCookie(res, session, 1800);
    setSecurityHeaders(res);
    res.status(status).type('html').send(signInPage({ csrf: session.csrf, language, ...(message ? { message } : {}), ...(login ? { login } : {}) }));
  };

  router.get('/ops/sign-in', async (req, res) => {
    await form(res, 200, req.query.lang === 'en' ? 'en' : 'pl');
  });

  router.post('/ops/sign-in', express.urlencoded({ extended: false, limit: '8kb' }), requireCsrf(), async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const login = typeof body.login === 'string' ? body.login.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
    const language = body.language === 'en' ? 'en' : 'pl';
    const previous = sessionOf(res);
    if (previous) await deps.sessions.destroy(previous.id);

    // Counted before the password is checked: attempts sent at once each get their own number,
    // so no more than `lockoutAttempts` of them are ever compared.
    const { attempt, lockedForSeconds } = await deps.sessions.countAttempt(login);
    if (lockedForSeconds > 0) {
      deps.logger.warn({ login, lockedForSeconds }, 'ops sign-in refused: account locked');
      await form(res, 429, language, lockedMessage(language, lockedForSeconds), login);
      return;
    }
    const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
    const ok = await bcrypt.compare(password, account?.passwordHash ?? (await (unknownLoginHash ??= noAccountHash(accounts))));
    if (!account || !ok) {
      deps.logger.warn({ login, failures: attempt }, 'ops sign-in failed');
      const nowLocked = await deps.sessions.attemptFailed(login, attempt);
      if (nowLocked > 0) await form(res, 429, language, lockedMessage(language, nowLocked), login);
      else await form(res, 401, language, language === 'pl' ? 'Nieprawidłowy login lub hasło.' : 'Wrong login or password.', login);
      return;
    }
    await deps.sessions.clearAttempts(login);
    const session = await deps.sessions.create({ login, name: account.name, language: account.language });
    setCookie(res, session, deps.settings.ops.sessionTtlSeconds);
    deps.logger.info({ login }, 'ops sign-in');
    res.redirect(303, '/ops');
  });

  router.post('/ops/sign-out', express.urlencoded({ extended: false, limit: '8kb' }), requireCsrf(), async (_req, res) => {
    const session = sessionOf(res);
    if (session) await deps.sessions.destroy(session.id);
    res.clearCookie(cookie.name, { path: '/' });
    res.redirect(303, '/ops/sign-in');
  });

  return router;
}

function lockedMessage(language: 'pl' | 'en', seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  return language === 'pl'
    ? `Konto zablokowane po zbyt wielu nieudanych próbach. Spróbuj ponownie za ${minutes} min.`
    : `Account locked after too many failed attempts. Try again in ${minutes} min.`;
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeCookieValue(part.slice(index + 1).trim());
  }
  return undefined;
}

/** A cookie value that does not decode (`%E0%A4%A`) is no session, not a server error. */
function decodeCookieValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
