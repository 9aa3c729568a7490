/**
 * Engineer sign-in for the ops page: accounts from settings (bcrypt hashes), or a demo
 * account for the embedded default; sessions in Redis (sessions.ts), created only by a
 * successful sign-in; the form's stateless CSRF token, attempt limits and the cap on password
 * checks (sign-in-guards.ts); a lock-out after repeated failures; and the guards every other
 * ops route sits behind (signed in, the session's CSRF token on every state-changing request).
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Settings } from '../../settings.js';
import { IntakeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { setSecurityHeaders, signInPage } from './html.js';
import { csrfMatches, type OpsSession, type SessionStore } from './sessions.js';
import { type PasswordChecker, readCookie, signInFormToken, signInRateLimits } from './sign-in-guards.js';

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
export function engineerAccounts(settings: { ops: Pick<Settings['ops'], 'engineers'> }): Readonly<Record<string, EngineerAccount>> {
  if (Object.keys(settings.ops.engineers).length > 0) return settings.ops.engineers;
  demoCredentials();
  return { demo: { passwordHash: demo?.passwordHash ?? '', name: 'Demo engineer', language: 'pl' } };
}

/** The cookie's name and flags: Secure over HTTPS (or when configured), never readable by scripts. */
export function sessionCookie(settings: { ops: Pick<Settings['ops'], 'cookieSecure'>; http: Pick<Settings['http'], 'publicUrl'> }): { name: string; secure: boolean } {
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
export async function noAccountHash(
  accounts: Readonly<Record<string, EngineerAccount>>,
  hash: (password: string, cost: number) => Promise<string> = (password, cost) => bcrypt.hash(password, cost),
): Promise<string> {
  // Settings only let bcrypt hashes through (`$2b$12$…`); 4 is bcrypt's lowest cost.
  const cost = Math.max(4, ...Object.values(accounts).map((account) => bcrypt.getRounds(account.passwordHash)));
  return hash(randomBytes(16).toString('hex'), cost);
}

export interface SignInDeps {
  sessions: SessionStore;
  /** Where passwords are compared: worker threads, a few at once (sign-in-guards.ts). */
  passwords: PasswordChecker;
  settings: Pick<Settings, 'ops' | 'http'>;
  logger: Logger;
  /** A session was signed out: its open event streams end (session-streams.ts). */
  onSignOut?: (sessionId: string) => void;
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

/**
 * A login name as it goes into the log: its first character and its length ("e***(3)"). A
 * password typed into the login field by mistake must not end up in the log as typed.
 */
export function maskLogin(login: string): string {
  const chars = [...login];
  return chars.length === 0 ? '(empty)' : `${chars[0]}***(${chars.length})`;
}

/** GET/POST /ops/sign-in and POST /ops/sign-out. */
export function signInRoutes(deps: SignInDeps): Router {
  const router = Router();
  const { ops } = deps.settings;
  const cookie = sessionCookie(deps.settings);
  const accounts = engineerAccounts(deps.settings);
  const formToken = signInFormToken({ secret: ops.csrfSecret, secure: cookie.secure });
  // Made at the first unknown login, not at start: most processes never see one.
  let unknownLoginHash: Promise<string> | undefined;
  const form = (req: Request, res: Response, status: number, language: 'pl' | 'en', message?: string, login?: string): void => {
    // Nothing is stored for the form: its token lives in a cookie and in the page.
    const csrf = formToken.issue(req, res);
    setSecurityHeaders(res);
    res.status(status).type('html').send(signInPage({ csrf, language, ...(message ? { message } : {}), ...(login ? { login } : {}) }));
  };
  const languageOf = (req: Request): 'pl' | 'en' => ((req.body as Record<string, unknown> | undefined)?.language === 'en' || req.query.lang === 'en' ? 'en' : 'pl');
  const comeBack = (req: Request, res: Response, seconds: number): void => {
    const pl = languageOf(req) === 'pl';
    form(req, res, res.statusCode >= 400 ? res.statusCode : 429, languageOf(req), pl ? `Zbyt wiele prób logowania. Spróbuj ponownie za ${seconds} s.` : `Too many sign-in attempts. Try again in ${seconds} s.`);
  };

  router.get('/ops/sign-in', (req, res) => {
    form(req, res, 200, languageOf(req));
  });

  router.post(
    '/ops/sign-in',
    // The cheap refusals first: limits in memory, then the token, then Redis and bcrypt.
    ...signInRateLimits({ perAddressPerMinute: ops.signInPerAddressPerMinute, perMinute: ops.signInPerMinute, refuse: comeBack }),
    express.urlencoded({ extended: false, limit: '8kb' }),
    async (req, res) => {
      const body = req.body as Record<string, unknown>;
      const login = typeof body.login === 'string' ? body.login.trim().slice(0, 200) : '';
      const password = typeof body.password === 'string' ? body.password.slice(0, 200) : '';
      const language = languageOf(req);
      if (!formToken.valid(req)) {
        form(req, res, 403, language, language === 'pl' ? 'Formularz wygasł lub nie pochodzi z tej strony. Spróbuj ponownie.' : 'The form expired or did not come from this page. Try again.', login);
        return;
      }
      const previous = sessionOf(res);
      if (previous) await deps.sessions.destroy(previous.id);

      // Counted before the password is checked: attempts sent at once each get their own number,
      // so no more than `lockoutAttempts` of them are ever compared.
      const { attempt, lockedForSeconds } = await deps.sessions.countAttempt(login);
      if (lockedForSeconds > 0) {
        deps.logger.warn({ login: maskLogin(login), lockedForSeconds }, 'ops sign-in refused: account locked');
        form(req, res, 429, language, lockedMessage(language, lockedForSeconds), login);
        return;
      }
      const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
      const hash = account?.passwordHash ?? (await (unknownLoginHash ??= noAccountHash(accounts, (text, cost) => deps.passwords.hash(text, cost))));
      const ok = await deps.passwords.compare(password, hash);
      if (ok === null) {
        // Not counted as a failure: the password was never compared.
        await deps.sessions.uncountAttempt(login);
        deps.logger.warn({ login: maskLogin(login) }, 'ops sign-in refused: too many password checks at once');
        res.set('Retry-After', '2');
        form(req, res, 503, language, language === 'pl' ? 'Serwer sprawdza teraz zbyt wiele haseł. Spróbuj ponownie za kilka sekund.' : 'Too many passwords are being checked right now. Try again in a few seconds.', login);
        return;
      }
      if (!account || !ok) {
        deps.logger.warn({ login: maskLogin(login), failures: attempt }, 'ops sign-in failed');
        const nowLocked = await deps.sessions.attemptFailed(login, attempt);
        if (nowLocked > 0) form(req, res, 429, language, lockedMessage(language, nowLocked), login);
        else form(req, res, 401, language, language === 'pl' ? 'Nieprawidłowy login lub hasło.' : 'Wrong login or password.', login);
        return;
      }
      await deps.sessions.clearAttempts(login);
      const session = await deps.sessions.create({ login, name: account.name, language: account.language });
      res.cookie(cookie.name, session.id, { httpOnly: true, sameSite: 'strict', secure: cookie.secure, path: '/', maxAge: ops.sessionTtlSeconds * 1000 });
      deps.logger.info({ login: maskLogin(login) }, 'ops sign-in');
      res.redirect(303, '/ops');
    },
  );

  router.post('/ops/sign-out', express.urlencoded({ extended: false, limit: '8kb' }), requireCsrf(), async (_req, res) => {
    const session = sessionOf(res);
    if (session) {
      await deps.sessions.destroy(session.id);
      deps.onSignOut?.(session.id);
    }
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
