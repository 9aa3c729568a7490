import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { AttachmentStore, sanitizeFileName } from '../../src/intake/attachment-store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-attachments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the attachment store', () => {
  it('streams a file in and keeps it by its sha256', async () => {
    const store = new AttachmentStore(dir, 1024 * 1024);
    const content = Buffer.from('2026-11-26 10:00 robot error 0x42\n'.repeat(1000));
    const saved = await store.save(Readable.from([content]), { name: 'library.log', type: 'text/plain; charset=utf-8' });
    expect(saved).toMatchObject({ name: 'library.log', type: 'text/plain', size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    expect(readFileSync(store.pathOf(saved.storageKey))).toEqual(content);
  });

  it('keeps what customers sent for the gateway\'s user only (folders 0700, files 0600), tightening a folder left open', async () => {
    const own = path.join(dir, 'private');
    mkdirSync(own, { mode: 0o755 });
    chmodSync(own, 0o755);
    const store = new AttachmentStore(own, 1024);
    const saved = await store.save(Readable.from([Buffer.from('serial Q48-24-07315, host backup-01\n')]), { name: 'robot.log', type: 'text/plain' });
    const file = store.pathOf(saved.storageKey);
    expect(statSync(own).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(own, 'tmp')).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a file over the limit and leaves nothing behind', async () => {
    const store = new AttachmentStore(dir, 1000);
    const error = await store.save(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { name: 'big.bin', type: 'application/octet-stream' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).status).toBe(413);
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('leaves no partial file behind when many uploads are refused at once', async () => {
    // A refusal decided while the file is still being opened (the portal's content check
    // refuses an executable at the end of a short upload): the removal must wait for the open,
    // or it runs first and the file appears after it. Before that fix, 2,000 such refusals
    // left 1 to 7 files here.
    const store = new AttachmentStore(dir, 1000);
    const refusedAtTheEnd = (): Transform => {
      const check = new Transform({
        transform: (chunk: Buffer, _encoding, done) => done(null, chunk),
        flush: (done) => void Promise.resolve().then(() => done(new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'refused'))),
      });
      Readable.from([Buffer.from('MZ')]).pipe(check);
      return check;
    };
    for (let round = 0; round < 20; round += 1) {
      const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => store.save(refusedAtTheEnd(), { name: 'tool.exe', type: 'application/octet-stream' })));
      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    }
    // A file whose open was still pending would appear now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'cmd.exe'],
    ['.htaccess', 'htaccess'],
    ['log<script>.txt', 'log_script_.txt'],
    ['dziennik-błędów.log', 'dziennik-błędów.log'],
    ['', 'attachment'],
  ])('stores the name %j as %j', (name, expected) => {
    expect(sanitizeFileName(name)).toBe(expected);
  });

  it('refuses storage keys that are not its own', () => {
    const store = new AttachmentStore(dir, 1000);
    expect(() => store.pathOf('../../etc/passwd')).toThrow(IntakeError);
  });
});
