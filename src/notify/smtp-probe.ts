/**
 * The SMTP relay checked as the sender will use it, for `hezo-intake mailboxes check`: the
 * token (for an OAuth2 account) and the sign-in (nodemailer's verify(): connect, EHLO, STARTTLS
 * where offered, AUTH) — without sending anything.
 */
import type { NodemailerError } from 'nodemailer';
import { credentialsAdvice, smtpRefusedAdvice, unreachableServerAdvice } from '../mail-auth/advice.js';
import { CredentialsFailure } from '../mail-auth/credentials-failure.js';
import type { MailCredentials } from '../mail-auth/mail-credentials.js';
import { tokenCheck, type CheckStep } from '../mail-auth/sign-in-check.js';
import type { Settings } from '../settings.js';
import { smtpTransport } from './mail-sender.js';

/** The steps, in order; after a failed token the sign-in is not tried. */
export async function probeSmtp(smtp: Readonly<Settings['mail']['smtp']>, credentials: MailCredentials): Promise<CheckStep[]> {
  const steps: CheckStep[] = [];
  if (credentials.kind === 'token') {
    const token = await tokenCheck(credentials, 'SMTP.SendAsApp');
    steps.push(token);
    if (!token.ok) return steps;
  }
  const kind = credentials.kind === 'none' ? 'none' : (smtp.auth?.type ?? 'password');
  try {
    const transport = await smtpTransport(smtp, credentials);
    try {
      await transport.verify();
    } finally {
      transport.close();
    }
    steps.push({ step: 'sign in', ok: true, detail: credentials.kind === 'none' ? 'connected (no sign-in configured)' : `as ${credentials.user}` });
  } catch (error) {
    if (error instanceof CredentialsFailure) {
      steps.push({ step: 'sign in', ok: false, detail: error.message, advice: credentialsAdvice(error) });
      return steps;
    }
    const smtpError = error as NodemailerError;
    const refused = smtpError.code === 'EAUTH' || smtpError.code === 'ENOAUTH';
    steps.push({ step: 'sign in', ok: false, detail: smtpError.response ?? smtpError.message, advice: refused ? smtpRefusedAdvice(kind) : unreachableServerAdvice('smtp') });
  }
  return steps;
}
