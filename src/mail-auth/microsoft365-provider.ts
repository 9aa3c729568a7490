/**
 * Microsoft 365 (Exchange Online): the client-credentials flow of an app registration, with
 * @azure/msal-node's ConfidentialClientApplication, for the scope
 * `https://outlook.office365.com/.default` — the app's IMAP.AccessAsApp and SMTP.SendAsApp
 * permissions. One token serves every mailbox the app was given FullAccess to; the mailbox's
 * address is the XOAUTH2 user (mail-credentials.ts).
 *
 * msal is told the authority's discovery and OpenID metadata (`cloudDiscoveryMetadata`,
 * `authorityMetadata`) instead of fetching them: the token endpoint is then the only address
 * the gateway needs to reach (one firewall rule), a start needs no two extra round trips, and a
 * token endpoint other than the authority's own (`tokenUrl`: a local token proxy) can be named.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { Configuration } from '@azure/msal-node';
import type { AccessToken, AccessTokenProvider } from './access-token-provider.js';
import type { Microsoft365Auth } from './auth-settings.js';
import { CredentialsFailure } from './credentials-failure.js';
import { readSecret, readSecretFile } from './secret-file.js';

export const MICROSOFT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** Exchange Online's resource: the app's IMAP.AccessAsApp and SMTP.SendAsApp roles come in the token for it. */
export const EXCHANGE_SCOPE = 'https://outlook.office365.com/.default';

export class Microsoft365TokenProvider implements AccessTokenProvider {
  readonly kind = 'microsoft365';
  readonly description: string;
  readonly accountKey: string;
  private readonly authority: string;
  private readonly tokenUrl: string;

  constructor(private readonly auth: Microsoft365Auth) {
    const host = (auth.authorityHost ?? MICROSOFT_AUTHORITY_HOST).replace(/\/+$/, '');
    this.authority = `${host}/${auth.tenantId}`;
    this.tokenUrl = auth.tokenUrl ?? `${this.authority}/oauth2/v2.0/token`;
    this.description = `Microsoft 365 app ${auth.clientId} in tenant ${auth.tenantId}`;
    // The XOAUTH2 user is not part of the token request: every mailbox of the app shares its token.
    const { user: _user, ...request } = auth;
    this.accountKey = `microsoft365:${createHash('sha256').update(JSON.stringify(request)).digest('hex')}`;
  }

  async requestToken(): Promise<AccessToken> {
    // Loaded on first use: a gateway without Microsoft 365 mailboxes does not pay for msal at start.
    const { ConfidentialClientApplication } = await import('@azure/msal-node');
    const application = new ConfidentialClientApplication(await this.configuration());
    try {
      // msal's own cache is skipped: CachedAccessToken is the one cache, so that a token a
      // server refused is really replaced.
      const result = await application.acquireTokenByClientCredential({ scopes: [this.auth.scope ?? EXCHANGE_SCOPE], skipCache: true });
      if (!result?.accessToken) throw new CredentialsFailure('microsoft365', 'no-token', `the token endpoint ${this.tokenUrl} answered without a token`);
      return { accessToken: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + 3_600_000 };
    } catch (error) {
      throw this.failure(error);
    }
  }

  private async configuration(): Promise<Configuration> {
    const { auth } = this;
    const authorityHost = new URL(this.authority).host;
    const credential =
      auth.certificateFile !== undefined && auth.privateKeyFile !== undefined
        ? { clientCertificate: await this.certificate(auth.certificateFile, auth.privateKeyFile) }
        : { clientSecret: await readSecret('microsoft365', auth.clientSecret, auth.clientSecretFile, 'clientSecretFile') };
    return {
      auth: {
        clientId: auth.clientId,
        authority: this.authority,
        ...credential,
        cloudDiscoveryMetadata: JSON.stringify({
          tenant_discovery_endpoint: `${this.authority}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: authorityHost, preferred_cache: authorityHost, aliases: [authorityHost] }],
        }),
        authorityMetadata: JSON.stringify({
          token_endpoint: this.tokenUrl,
          authorization_endpoint: `${this.authority}/oauth2/v2.0/authorize`,
          issuer: `${this.authority}/v2.0`,
          jwks_uri: `${this.authority}/discovery/v2.0/keys`,
        }),
      },
      // The watcher and the notification queue retry with their own backoff.
      system: { disableInternalRetries: true },
    };
  }

  /** The certificate's SHA-256 thumbprint (msal needs it; the file has it) and its key as PKCS#8 PEM (msal signs with that). */
  private async certificate(certificateFile: string, privateKeyFile: string): Promise<{ thumbprintSha256: string; privateKey: string }> {
    const certificatePem = await readSecretFile('microsoft365', certificateFile, 'certificateFile');
    const keyPem = await readSecretFile('microsoft365', privateKeyFile, 'privateKeyFile');
    try {
      const thumbprintSha256 = new X509Certificate(certificatePem).fingerprint256.replace(/:/g, '');
      const privateKey = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
      return { thumbprintSha256, privateKey };
    } catch (error) {
      throw new CredentialsFailure('microsoft365', 'secret-file', `certificateFile or privateKeyFile is not PEM that Node can read: ${(error as Error).message}`);
    }
  }

  /** msal's error as the administrator should read it: Entra ID's own AADSTS text, or why no answer came. */
  private failure(error: unknown): CredentialsFailure {
    if (error instanceof CredentialsFailure) return error;
    const msal = error as { errorCode?: string; errorMessage?: string; message?: string };
    const text = msal.errorMessage ?? msal.message ?? String(error);
    // "Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: Invalid client secret provided. … Trace ID: …"
    const aadsts = /(AADSTS\d+):\s*(.*?)(?:\s*Trace ID:|\s+- Correlation ID:|\s+- Trace ID:|$)/s.exec(text);
    if (aadsts) return new CredentialsFailure('microsoft365', aadsts[1] as string, `${aadsts[1]}: ${(aadsts[2] as string).replace(/\s+/g, ' ').trim()}`);
    if (msal.errorCode === 'network_error') return new CredentialsFailure('microsoft365', 'unreachable', `the token endpoint ${this.tokenUrl} cannot be reached (${text.replace(/, additionalErrorInfo.*$/s, '')})`);
    if (msal.errorCode === 'token_parsing_error') return new CredentialsFailure('microsoft365', 'unreachable', `the token endpoint ${this.tokenUrl} did not answer with JSON: it is down or not Microsoft's (${text.slice(0, 200)})`);
    return new CredentialsFailure('microsoft365', msal.errorCode ?? 'error', `${msal.errorCode ? `${msal.errorCode}: ` : ''}${text}`);
  }
}
