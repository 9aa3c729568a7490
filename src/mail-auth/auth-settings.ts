/**
 * How the gateway signs in to a mailbox (IMAP) or to the SMTP relay: `imap.auth` of each
 * mailbox and `mail.smtp.auth`. Microsoft 365 has refused passwords for IMAP since 2022–2023
 * and Google Workspace requires OAuth for programs, so besides a password there are three token
 * forms (docs/mailboxes.md walks through each). Secrets may sit in files (`...File`): mounted
 * secrets are read at every token request, so a rotated secret needs no restart.
 */
import path from 'node:path';
import { z } from 'zod';

/** The loopback host names over which a token endpoint may be plain HTTP (a local token proxy, the tests' stand-ins). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A token endpoint: HTTPS, since a client secret goes to it (RFC 6749 §2.3.1), or plain HTTP on
 * this machine only.
 */
const tokenEndpointUrl = z.url().refine(
  (text) => {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  },
  { message: 'expected an https:// URL (plain http:// only on this machine: 127.0.0.1, localhost, [::1])' },
);

const httpsUrl = z.url().refine((text) => new URL(text).protocol === 'https:', { message: 'expected an https:// URL' });

/** Exactly one of two ways to give a secret (the value, or a file holding it). */
function oneOf<T extends Record<string, unknown>>(a: keyof T & string, b: keyof T & string, what: string) {
  return (value: T, ctx: z.RefinementCtx): void => {
    const given = [a, b].filter((key) => value[key] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({ code: 'custom', path: [a], message: given.length === 0 ? `missing: give ${what} as "${a}" or "${b}"` : `give "${a}" or "${b}", not both` });
  };
}

const passwordAuth = z
  .object({
    type: z.literal('password'),
    user: z.string().min(1),
    password: z.string().optional(),
    passwordFile: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(oneOf('password', 'passwordFile', 'the password'));

const microsoft365Auth = z
  .object({
    type: z.literal('microsoft365'),
    /** The directory (tenant) ID or its domain, e.g. `contoso.onmicrosoft.com`. */
    tenantId: z.string().min(1),
    /** The application (client) ID of the app registration. */
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    clientSecretFile: z.string().min(1).optional(),
    /** A certificate uploaded to the app registration (PEM), with its private key (PEM): instead of a secret. */
    certificateFile: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    /** The XOAUTH2 user; default: the mailbox's address (for SMTP: the address of mail.from). */
    user: z.email().optional(),
    /** Another Microsoft cloud, e.g. https://login.microsoftonline.us; default https://login.microsoftonline.com. */
    authorityHost: httpsUrl.optional(),
    /** That cloud's Exchange, e.g. https://outlook.office365.us/.default; default https://outlook.office365.com/.default. */
    scope: httpsUrl.optional(),
    /** Where the token is asked for, when not at the authority (a local token proxy); default <authorityHost>/<tenantId>/oauth2/v2.0/token. */
    tokenUrl: tokenEndpointUrl.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const secret = value.clientSecret !== undefined || value.clientSecretFile !== undefined;
    const certificate = value.certificateFile !== undefined || value.privateKeyFile !== undefined;
    if (secret && certificate) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'give a client secret or a certificate, not both' });
    } else if (certificate) {
      if (value.certificateFile === undefined) ctx.addIssue({ code: 'custom', path: ['certificateFile'], message: 'missing: the certificate (PEM) that privateKeyFile belongs to' });
      if (value.privateKeyFile === undefined) ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: 'missing: the private key (PEM) of certificateFile' });
    } else {
      oneOf<typeof value>('clientSecret', 'clientSecretFile', 'the client secret (or certificateFile and privateKeyFile)')(value, ctx);
    }
  });

const googleAuth = z
  .object({
    type: z.literal('google'),
    /** The service account's JSON key file, as Google Cloud console downloads it. */
    serviceAccountFile: z.string().min(1),
    /** The Workspace user the service account acts as (domain-wide delegation); default: the mailbox's address. */
    user: z.email().optional(),
  })
  .strict();

const oauth2Auth = z
  .object({
    type: z.literal('oauth2'),
    tokenUrl: tokenEndpointUrl,
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    clientSecretFile: z.string().min(1).optional(),
    /** With a refresh token, the refresh_token grant; without, client_credentials. */
    refreshToken: z.string().min(1).optional(),
    refreshTokenFile: z.string().min(1).optional(),
    scope: z.string().min(1),
    /** How the client authenticates at the token endpoint (RFC 6749 §2.3.1: every server takes Basic). */
    clientAuthentication: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    /** The XOAUTH2 user; default: the mailbox's address (for SMTP: the address of mail.from). */
    user: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    oneOf<typeof value>('clientSecret', 'clientSecretFile', 'the client secret')(value, ctx);
    if (value.refreshToken !== undefined && value.refreshTokenFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['refreshToken'], message: 'give "refreshToken" or "refreshTokenFile", not both' });
    }
  });

export const mailAuthSchema = z.discriminatedUnion('type', [passwordAuth, microsoft365Auth, googleAuth, oauth2Auth], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected "type": "password", "microsoft365", "google" or "oauth2"' : undefined),
});

export type MailAuth = z.infer<typeof mailAuthSchema>;
export type Microsoft365Auth = Extract<MailAuth, { type: 'microsoft365' }>;
export type GoogleAuth = Extract<MailAuth, { type: 'google' }>;
export type OAuth2Auth = Extract<MailAuth, { type: 'oauth2' }>;

/** The fields of an auth block that name files. */
const FILE_FIELDS = ['passwordFile', 'clientSecretFile', 'certificateFile', 'privateKeyFile', 'serviceAccountFile', 'refreshTokenFile'] as const;

/** The same auth with its file paths made absolute against `base` (the folder that holds config/). */
export function resolveAuthFiles<T extends MailAuth | undefined>(auth: T, base: string): T {
  if (!auth) return auth;
  const resolved: Record<string, unknown> = { ...auth };
  for (const field of FILE_FIELDS) {
    if (typeof resolved[field] === 'string') resolved[field] = path.resolve(base, resolved[field]);
  }
  return resolved as T;
}

/**
 * A server account (IMAP or SMTP) signs in either with the flat `user` and `password` of the
 * first release, which stay the password form so that existing configs stand, or with `auth`.
 */
export function checkAccountAuth(account: { user: string; password: string; auth?: MailAuth | undefined }, ctx: z.RefinementCtx, userRequired: boolean): void {
  if (account.auth) {
    if (account.user !== '' || account.password !== '') {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: 'give either "auth" or "user" and "password", not both' });
    }
  } else if (userRequired && account.user === '') {
    ctx.addIssue({ code: 'custom', path: ['user'], message: 'missing: give "user" and "password", or "auth"' });
  }
}
