/**
 * A local stand-in for the token endpoints of Microsoft Entra ID (`/{tenant}/oauth2/v2.0/token`,
 * client credentials with a secret or a certificate's signed assertion), Google
 * (`/token`, the JWT-bearer grant of a service account) and a plain OAuth2 provider
 * (`/oauth2/token`, client credentials or a refresh token). Each issues short-lived JWT access
 * tokens (RS256) signed with a key this file generates; the private Dovecot and the SMTP server
 * trust the key's id (kid) and refuse tokens of a kid that was revoked. It can be told to fail
 * as the real endpoints do: down (connection refused), a wrong secret (AADSTS7000215), no
 * consent (AADSTS65001), a token without roles, `unauthorized_client`, `invalid_grant`.
 *
 * Tokens carry an `email` claim in the mailboxes' domain: the test Dovecot compares only the
 * domain (username_format %d), so one app token opens every mailbox of the tenant, as Exchange
 * takes an app's token for every mailbox the app was given FullAccess to.
 */
import { constants, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/redis/free-port.js';

export const TENANT_ID = 'contoso-tenant-id';
export const MICROSOFT_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
export const GOOGLE_TOKEN_PATH = '/token';
export const OAUTH2_TOKEN_PATH = '/oauth2/token';
const GOOGLE_AUDIENCE = 'https://oauth2.googleapis.com/token';

/** How the endpoints answer; `ok` issues tokens. */
export type EndpointMode = 'ok' | 'wrong-secret' | 'no-consent' | 'no-roles' | 'unauthorized-client' | 'invalid-grant' | 'html-error';

export interface TokenRequestRecord {
  endpoint: 'microsoft' | 'google' | 'oauth2';
  /** client_credentials, refresh_token, jwt-bearer */
  grant: string;
  /** The client secret or assertion was right. */
  authenticated: boolean;
  /** What was answered: a token (its kid) or an error code. */
  answer: string;
}

export interface TokenEndpoints {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The Microsoft token endpoint of the test tenant. */
  microsoftTokenUrl: string;
  domain: string;
  microsoft: { tenantId: string; clientId: string; clientSecret: string; certificateFile: string; privateKeyFile: string };
  /** A service account key file whose token_uri is this stand-in; the user acted as must be in `domain`. */
  google: { serviceAccountFile: string; clientEmail: string };
  oauth2: { tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string };
  /** Seconds each new token lives. */
  lifetimeSeconds: number;
  mode: EndpointMode;
  /** Every token request, in order. */
  requests: TokenRequestRecord[];
  /** Every access token issued, in order (to prove none reaches a log). */
  issued: string[];
  /** The kid that signs new tokens. */
  currentKid: string;
  /** Public keys (PEM, SPKI) of the kids servers trust, by kid. */
  trustedKeys(): Map<string, string>;
  /** A new signing key signs from now on; the old one stays trusted until revoked. Resolves with the new kid once the listeners took it. */
  rotateKey(): Promise<string>;
  /** Servers stop trusting `kid` (as a withdrawn signing key or a revoked grant); resolves once the listeners took it. */
  revoke(kid: string): Promise<void>;
  /** Called now and after every change of the trusted keys (the Dovecot key folder follows them). */
  onKeysChanged(listener: (keys: Map<string, string>) => void | Promise<void>): void | Promise<void>;
  /** The kid a token was signed with, and whether a server should take it for `user` now. */
  accepts(token: string, user: string): boolean;
  /** Signs a token as the endpoint would (for a Dovecot probe of a revoked kid). */
  sign(claims: Record<string, unknown>, kid?: string): string;
  /** Stops listening (connection refused), keeping the port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startTokenEndpoints(options: { domain?: string } = {}): Promise<TokenEndpoints> {
  const domain = options.domain ?? 'myhezo.test';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-tokens-'));
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const keys = new Map<string, { privateKey: KeyObject; publicPem: string; trusted: boolean }>();
  const listeners: Array<(keys: Map<string, string>) => void | Promise<void>> = [];

  const newKey = (): string => {
    const kid = `kid-${randomUUID().slice(0, 8)}`;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys.set(kid, { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), trusted: true });
    return kid;
  };
  const trustedKeys = (): Map<string, string> => new Map([...keys].filter(([, key]) => key.trusted).map(([kid, key]) => [kid, key.publicPem]));
  const keysChanged = async (): Promise<void> => {
    for (const listener of listeners) await listener(trustedKeys());
  };

  // The Microsoft app's certificate (self-signed, as `New-SelfSignedCertificate` or openssl makes it).
  const certificateFile = path.join(dir, 'app-cert.pem');
  const privateKeyFile = path.join(dir, 'app-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', privateKeyFile, '-out', certificateFile, '-days', '2', '-subj', '/CN=hezo-intake'], { stdio: 'ignore' });
  const certificate = new X509Certificate(readFileSync(certificateFile));
  const certificateThumbprint = Buffer.from(certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');

  // Google's service account key, as the console downloads it, but with this stand-in as token_uri.
  const serviceKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `hezo-intake@hezo-project.iam.gserviceaccount.com`;
  const serviceAccountFile = path.join(dir, 'service-account.json');
  writeFileSync(
    serviceAccountFile,
    JSON.stringify({
      type: 'service_account',
      project_id: 'hezo-project',
      private_key_id: 'sa-key-1',
      private_key: serviceKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      client_id: '109876543210',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${url}${GOOGLE_TOKEN_PATH}`,
    }),
  );

  const microsoft = { tenantId: TENANT_ID, clientId: MICROSOFT_CLIENT_ID, clientSecret: `secret-${randomUUID()}`, certificateFile, privateKeyFile };
  const oauth2 = { tokenUrl: `${url}${OAUTH2_TOKEN_PATH}`, clientId: 'hezo-intake-client', clientSecret: `oauth2-secret-${randomUUID()}`, refreshToken: `refresh-${randomUUID()}` };
  const validRefreshTokens = new Set([oauth2.refreshToken]);

  const endpoints: TokenEndpoints = {
    url,
    microsoftTokenUrl: `${url}/${TENANT_ID}/oauth2/v2.0/token`,
    domain,
    microsoft,
    google: { serviceAccountFile, clientEmail },
    oauth2,
    lifetimeSeconds: 3600,
    mode: 'ok',
    requests: [],
    issued: [],
    currentKid: newKey(),
    trustedKeys,
    async rotateKey() {
      endpoints.currentKid = newKey();
      await keysChanged();
      return endpoints.currentKid;
    },
    async revoke(kid) {
      const key = keys.get(kid);
      if (key) key.trusted = false;
      await keysChanged();
    },
    onKeysChanged(listener) {
      listeners.push(listener);
      return listener(trustedKeys());
    },
    accepts(token, user) {
      const parts = token.split('.');
      if (parts.length !== 3) return false;
      const header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString()) as { kid?: string };
      const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString()) as { exp?: number; email?: string };
      const key = header.kid ? keys.get(header.kid) : undefined;
      if (!key?.trusted) return false;
      if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(key.publicPem), Buffer.from(parts[2] as string, 'base64url'))) return false;
      if (!claims.exp || claims.exp * 1000 <= Date.now()) return false;
      return claims.email?.split('@')[1] === user.split('@')[1];
    },
    sign: (claims, kid) => signJwt(claims, kid ?? endpoints.currentKid),
    async stop() {
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async start() {
      if (server.listening) return;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async cleanup() {
      await endpoints.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  function signJwt(claims: Record<string, unknown>, kid: string): string {
    const key = keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${head}.${body}.${sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url')}`;
  }

  /** A token for `email` (its domain is what the mail servers check), with Microsoft's app roles unless told not to. */
  function issue(email: string, extra: Record<string, unknown>): { token_type: string; expires_in: number; access_token: string } {
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt({ sub: email, email, iat: now, nbf: now, exp: now + endpoints.lifetimeSeconds, jti: randomUUID(), ...extra }, endpoints.currentKid);
    endpoints.issued.push(token);
    return { token_type: 'Bearer', expires_in: endpoints.lifetimeSeconds, access_token: token };
  }

  function answer(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  /** Entra ID's error body: the description ends with its trace lines, as the real one does. */
  function aadError(res: http.ServerResponse, status: number, error: string, code: number, text: string): void {
    answer(res, status, {
      error,
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}Z`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    });
  }

  function handleMicrosoft(form: URLSearchParams, res: http.ServerResponse): void {
    const assertion = form.get('client_assertion');
    const authenticated =
      form.get('client_id') === microsoft.clientId &&
      (assertion ? verifyCertificateAssertion(assertion) : form.get('client_secret') === microsoft.clientSecret) &&
      endpoints.mode !== 'wrong-secret';
    const record: TokenRequestRecord = { endpoint: 'microsoft', grant: form.get('grant_type') ?? '', authenticated, answer: '' };
    endpoints.requests.push(record);
    if (!authenticated) {
      record.answer = 'AADSTS7000215';
      return aadError(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${microsoft.clientId}'.`);
    }
    if (endpoints.mode === 'no-consent') {
      record.answer = 'AADSTS65001';
      return aadError(res, 400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${microsoft.clientId}' named 'hezo-intake'. Send an interactive authorization request for this user and resource.`);
    }
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://outlook.office365.com/.default') {
      record.answer = 'AADSTS70011';
      return aadError(res, 400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`);
    }
    record.answer = endpoints.currentKid;
    const roles = endpoints.mode === 'no-roles' ? {} : { roles: ['IMAP.AccessAsApp', 'SMTP.SendAsApp'] };
    answer(res, 200, { ...issue(`app-${microsoft.clientId}@${domain}`, { aud: 'https://outlook.office.com', tid: TENANT_ID, appid: microsoft.clientId, ...roles }), ext_expires_in: endpoints.lifetimeSeconds });
  }

  /** msal signs a client assertion with the app's certificate: PS256, the certificate's SHA-256 thumbprint in the header. */
  function verifyCertificateAssertion(assertion: string): boolean {
    const [head, body, signature] = assertion.split('.');
    if (!head || !body || !signature) return false;
    const header = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string; 'x5t#S256'?: string };
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as { aud?: string; iss?: string; exp?: number };
    if (header['x5t#S256'] !== certificateThumbprint || claims.iss !== microsoft.clientId || !claims.exp || claims.exp * 1000 < Date.now()) return false;
    const data = Buffer.from(`${head}.${body}`);
    const key = certificate.publicKey;
    return header.alg === 'PS256'
      ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signature, 'base64url'))
      : verify('RSA-SHA256', data, key, Buffer.from(signature, 'base64url'));
  }

  function handleGoogle(form: URLSearchParams, res: http.ServerResponse): void {
    const [head, body, signature] = (form.get('assertion') ?? '').split('.');
    const claims = body ? (JSON.parse(Buffer.from(body, 'base64url').toString()) as { iss?: string; sub?: string; scope?: string; aud?: string; exp?: number }) : {};
    const signed = Boolean(head && body && signature && verify('RSA-SHA256', Buffer.from(`${head}.${body}`), serviceKeys.publicKey, Buffer.from(signature, 'base64url')));
    const authenticated = signed && claims.iss === clientEmail && claims.aud === GOOGLE_AUDIENCE && (claims.exp ?? 0) * 1000 > Date.now();
    const record: TokenRequestRecord = { endpoint: 'google', grant: form.get('grant_type') ?? '', authenticated, answer: '' };
    endpoints.requests.push(record);
    if (!authenticated || endpoints.mode === 'invalid-grant') {
      record.answer = 'invalid_grant';
      return answer(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    if (endpoints.mode === 'unauthorized-client' || claims.scope !== 'https://mail.google.com/') {
      record.answer = 'unauthorized_client';
      return answer(res, 401, { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' });
    }
    if (!claims.sub?.endsWith(`@${domain}`)) {
      record.answer = 'invalid_grant';
      return answer(res, 400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' });
    }
    record.answer = endpoints.currentKid;
    answer(res, 200, issue(claims.sub, { scope: claims.scope }));
  }

  function handleOAuth2(form: URLSearchParams, authorization: string | undefined, res: http.ServerResponse): void {
    const basic = authorization?.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString().split(':').map(decodeURIComponent) : undefined;
    const [clientId, clientSecret] = basic ?? [form.get('client_id'), form.get('client_secret')];
    const authenticated = clientId === oauth2.clientId && clientSecret === oauth2.clientSecret && endpoints.mode !== 'wrong-secret';
    const grant = form.get('grant_type') ?? '';
    const record: TokenRequestRecord = { endpoint: 'oauth2', grant, authenticated, answer: '' };
    endpoints.requests.push(record);
    if (!authenticated) {
      record.answer = 'invalid_client';
      return answer(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      if (!validRefreshTokens.has(presented) || endpoints.mode === 'invalid-grant') {
        record.answer = 'invalid_grant';
        return answer(res, 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' });
      }
      // Rotation: the presented refresh token is spent, a new one comes with the answer.
      validRefreshTokens.delete(presented);
      const next = `refresh-${randomUUID()}`;
      validRefreshTokens.add(next);
      record.answer = endpoints.currentKid;
      return answer(res, 200, { ...issue(`user@${domain}`, { scope: form.get('scope') }), refresh_token: next, scope: form.get('scope') });
    }
    record.answer = endpoints.currentKid;
    answer(res, 200, { ...issue(`client@${domain}`, { scope: form.get('scope') }), scope: form.get('scope') });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (endpoints.mode === 'html-error') {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html><body>Service Unavailable</body></html>');
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const pathname = new URL(req.url ?? '/', url).pathname;
      if (req.method === 'POST' && pathname === `/${TENANT_ID}/oauth2/v2.0/token`) return handleMicrosoft(form, res);
      if (req.method === 'POST' && pathname === GOOGLE_TOKEN_PATH) return handleGoogle(form, res);
      if (req.method === 'POST' && pathname === OAUTH2_TOKEN_PATH) return handleOAuth2(form, req.headers.authorization, res);
      // Another tenant: Entra ID's answer for a tenant that does not exist.
      if (req.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(pathname)) {
        endpoints.requests.push({ endpoint: 'microsoft', grant: form.get('grant_type') ?? '', authenticated: false, answer: 'AADSTS90002' });
        return aadError(res, 400, 'invalid_request', 90002, `Tenant '${pathname.split('/')[1]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      }
      answer(res, 404, { error: 'not_found' });
    });
  });
  await endpoints.start();
  return endpoints;
}
