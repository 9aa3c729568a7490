/**
 * A redis-server that speaks only TLS (`tls-port`, `port 0`), with a test CA made by the
 * `openssl` CLI in a temp folder: the CA, a server certificate for 127.0.0.1/localhost signed
 * by it, and a second CA that signed nothing here (the "wrong CA" of a misconfigured gateway).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RedisNode } from './redis-node.js';

export interface TestCertificates {
  dir: string;
  /** PEM of the CA that signed the server's certificate. */
  caFile: string;
  /** PEM of a CA that signed nothing the server presents. */
  otherCaFile: string;
  serverCert: string;
  serverKey: string;
}

export interface TlsRedis {
  node: RedisNode;
  /** rediss://127.0.0.1:<port> */
  url: string;
  certificates: TestCertificates;
  cleanup(): Promise<void>;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA and a server certificate (EC keys: quick to make), valid for two days. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, 'req', '-x509', '-new', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=hezo test CA');
  openssl(dir, 'req', '-x509', '-new', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=some other CA');
  openssl(dir, 'req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
  };
}

/** Starts a TLS-only redis-server; `config` adds lines (e.g. an ACL user). */
export async function startTlsRedis(options: { config?: string[] } = {}): Promise<TlsRedis> {
  const certificates = makeCertificates();
  const node = await RedisNode.start({
    tls: true,
    config: [
      `tls-cert-file ${certificates.serverCert}`,
      `tls-key-file ${certificates.serverKey}`,
      `tls-ca-cert-file ${certificates.caFile}`,
      // Clients show no certificate of their own; the server's is what is checked.
      'tls-auth-clients no',
      ...(options.config ?? []),
    ],
  });
  return {
    node,
    url: node.url(),
    certificates,
    async cleanup() {
      await node.cleanup();
      rmSync(certificates.dir, { recursive: true, force: true });
    },
  };
}
