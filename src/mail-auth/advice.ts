/**
 * What an administrator does about a failed sign-in, by what failed and how the account signs
 * in: the second half of each failed line of `hezo-intake mailboxes check`. The menu names are
 * those of Microsoft's and Google's documentation (docs/mailboxes.md walks through them).
 */
import type { MailAuth } from './auth-settings.js';
import type { CredentialsFailure } from './credentials-failure.js';

type AuthKind = MailAuth['type'];

const ENTRA_APP = 'Microsoft Entra admin center → App registrations → your app';
const GRANT_CONSENT = `${ENTRA_APP} → API permissions: add Office 365 Exchange Online → Application permissions → IMAP.AccessAsApp and SMTP.SendAsApp, then "Grant admin consent for <your organisation>"`;
const GOOGLE_DELEGATION =
  'in the Google Admin console → Security → Access and data control → API controls → Manage Domain Wide Delegation, add the service account\'s client ID with the OAuth scope https://mail.google.com/';

/** Microsoft Entra ID's codes (AADSTS…) that a client-credentials app meets. */
const MICROSOFT: Readonly<Record<string, string>> = {
  AADSTS7000215: `the client secret is wrong: in ${ENTRA_APP} → Certificates & secrets, add a new client secret and copy its Value (not its Secret ID) into clientSecret, or into the file clientSecretFile names`,
  AADSTS7000222: `the client secret has expired: in ${ENTRA_APP} → Certificates & secrets, add a new client secret and copy its Value into clientSecret, or into the file clientSecretFile names`,
  AADSTS700027: `the certificate is not one of the app's: upload certificateFile in ${ENTRA_APP} → Certificates & secrets → Certificates, and check that privateKeyFile is its key`,
  AADSTS700016: 'no app with this clientId in this tenant: copy the Application (client) ID and the Directory (tenant) ID from the app\'s Overview page; an app registered in another tenant needs an admin\'s consent in this one',
  AADSTS90002: 'no such tenant: copy the Directory (tenant) ID from the app\'s Overview page into tenantId',
  AADSTS900023: 'tenantId is not a tenant: copy the Directory (tenant) ID from the app\'s Overview page',
  AADSTS65001: `the app has no admin consent: ${GRANT_CONSENT}`,
  AADSTS7000229: `the app has no service principal (Enterprise application) in this tenant: ${GRANT_CONSENT}`,
  AADSTS500011: 'Exchange Online is not in this tenant: the mailboxes must be Exchange Online mailboxes of the tenant named by tenantId',
  AADSTS7000112: `the app is disabled: enable it in Microsoft Entra admin center → Enterprise applications → your app → Properties ("Enabled for users to sign-in?")`,
};

const GOOGLE: Readonly<Record<string, string>> = {
  unauthorized_client: `the service account may not act as the user: ${GOOGLE_DELEGATION}`,
  access_denied: `the service account may not act as the user: ${GOOGLE_DELEGATION}`,
  invalid_grant:
    'Google refused the service account\'s signed request: if it says "Invalid email or User ID", the user (auth.user, else the mailbox address) is not a user of the Workspace domain; if "Invalid JWT Signature", the key was deleted: make a new JSON key in the Google Cloud console → IAM & Admin → Service accounts → your account → Keys → Add key',
};

const OAUTH2: Readonly<Record<string, string>> = {
  invalid_client: 'the provider does not know clientId with this clientSecret (or wants the other clientAuthentication: client_secret_basic or client_secret_post)',
  invalid_grant: 'the refresh token is expired or revoked: sign in to the provider again to get a new refresh token, and put it in refreshToken (or the file refreshTokenFile names)',
  invalid_scope: 'the provider does not grant this scope to this client: check scope against the provider\'s documentation for IMAP and SMTP',
  unauthorized_client: 'the provider does not let this client use this grant: allow client credentials (or refresh tokens) for it at the provider',
};

const REACH_ENDPOINT = 'check that this machine reaches the token endpoint over HTTPS (DNS, proxy, firewall), then run the check again';

/** What to do about credentials that could not be had. */
export function credentialsAdvice(failure: CredentialsFailure): string {
  if (failure.reason === 'unreachable') return REACH_ENDPOINT;
  if (failure.reason === 'secret-file') return 'put the file where the setting says, readable by the user the gateway runs as (or fix the setting)';
  const table = failure.kind === 'microsoft365' ? MICROSOFT : failure.kind === 'google' ? GOOGLE : OAUTH2;
  return table[failure.reason] ?? 'read the provider\'s message above; docs/mailboxes.md walks through the setup';
}

/** An app token from Microsoft without the role the protocol needs: the permission was not granted, or not consented. */
export function missingRoleAdvice(role: 'IMAP.AccessAsApp' | 'SMTP.SendAsApp'): string {
  return `the token carries no ${role} role: ${GRANT_CONSENT}`;
}

/** The IMAP server refused the sign-in. */
export function imapRefusedAdvice(kind: AuthKind): string {
  switch (kind) {
    case 'microsoft365':
      return 'Exchange Online took no app token for this mailbox: register the app in Exchange (New-ServicePrincipal -AppId <Application (client) ID> -ObjectId <Object ID of the Enterprise application>), give it the mailbox (Add-MailboxPermission -Identity <mailbox> -User <service principal> -AccessRights FullAccess), and check that IMAP is on for the mailbox (Set-CASMailbox <mailbox> -ImapEnabled $true); Exchange can take half an hour to apply such changes';
    case 'google':
      return 'Gmail refused the token: check that IMAP is on for the user (Google Admin console → Apps → Google Workspace → Gmail → End User Access → POP and IMAP access) and that the delegation has the scope https://mail.google.com/';
    case 'oauth2':
      return 'the server refused the token: check that scope is the one the server wants for IMAP and that this user may open the mailbox';
    case 'password':
      return 'the user or password is wrong, or the server wants OAuth2 (Microsoft 365 and Google Workspace do: see docs/mailboxes.md)';
  }
}

/** The SMTP relay refused the sign-in. */
export function smtpRefusedAdvice(kind: AuthKind | 'none'): string {
  switch (kind) {
    case 'microsoft365':
      return 'Exchange Online refused the app\'s token for sending: turn SMTP AUTH on for the sender\'s mailbox (Set-CASMailbox <mailbox> -SmtpClientAuthenticationDisabled $false), give the app SMTP.SendAsApp with admin consent, and FullAccess on that mailbox (Add-MailboxPermission); the sender is mail.from unless auth.user names another';
    case 'google':
      return 'Gmail refused the token for sending: the delegation needs the scope https://mail.google.com/ and the user must be the sender of mail.from (or have it as an alias)';
    case 'oauth2':
      return 'the relay refused the token: check that scope covers sending mail and that the user may send as mail.from';
    case 'password':
      return 'the user or password of mail.smtp is wrong, or the relay wants OAuth2 (Microsoft 365 and Google Workspace do: see docs/mailboxes.md)';
    case 'none':
      return 'the relay wants a sign-in: give mail.smtp a user and password, or auth';
  }
}

/** The IMAP or SMTP server cannot be reached at all. */
export function unreachableServerAdvice(protocol: 'imap' | 'smtp'): string {
  return protocol === 'imap'
    ? 'check imap.host and imap.port (993 with secure: true, 143 with secure: false), and that this machine reaches them'
    : 'check mail.smtp.host and mail.smtp.port (587 with secure: false and STARTTLS, 465 with secure: true), and that this machine reaches them';
}

/** A Processed or Quarantine folder that neither exists nor can be made. */
export function folderAdvice(setting: 'processedFolder' | 'quarantineFolder'): string {
  return `make the folder in a mail client signed in as this mailbox (or give the account the right to make folders), or name an existing folder in ${setting}`;
}
