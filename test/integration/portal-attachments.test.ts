/**
 * Device-log uploads through the portal API on the real app, gateway and Redis: stored with
 * checksums and sniffed types, recorded on the request by the dispatcher, and refused when
 * too big, too many, not multipart, executable, or aimed at another client's request; a
 * malformed body is the sender's 400, a failing store our 500.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { hashApiKey } from '../../src/channels/portal/api-keys.js';
import { portalOpenApiDocument } from '../../src/channels/portal/openapi.js';
import { portalRoutes } from '../../src/channels/portal/routes.js';
import { AttachmentStore } from '../../src/intake/attachment-store.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const KEYS = { alpha: 'alpha-upload-key-0123456789abcdef', beta: 'beta-upload-key-0123456789abcdef' };
const MAX_BYTES = 10_000;
let redis: PrivateRedis;
let test: TestGateway;
let app: Express;
let portal: ReturnType<typeof portalRoutes>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    {
      intake: { prefix: 'portal-upload-test' },
      attachments: { maxBytes: MAX_BYTES },
      portal: { apiKeys: { alpha: hashApiKey(KEYS.alpha), beta: hashApiKey(KEYS.beta) }, maxAttachmentsPerRequest: 3 },
    },
    { REDIS_URL: redis.url },
    { roles: ['web', 'dispatcher'] },
  );
  const { gateway } = test;
  portal = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: gateway.attachments, redis: gateway.redis, settings: gateway.settings, logger: gateway.logger });
  app = buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: portal.api }] });
});
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default(ajv);
ajv.addSchema({ ...portalOpenApiDocument('http://localhost:8080'), $id: 'portal-openapi' });
const UPLOAD_PATH = '/requests/{number}/attachments';

/** Checks an upload answer against the documented response of its status. */
function conforms(response: { status: number; body: unknown }): void {
  const validate = ajv.getSchema(`portal-openapi#/paths/${UPLOAD_PATH.replace(/\//g, '~1')}/post/responses/${response.status}/content/application~1json/schema`);
  expect(validate, `no schema documented for ${response.status}`).toBeDefined();
  expect(validate?.(response.body), JSON.stringify(validate?.errors)).toBe(true);
}

const auth = (client: keyof typeof KEYS = 'alpha') => ({ Authorization: `Bearer ${KEYS[client]}` });

async function fileRequest(): Promise<string> {
  const response = await request(app)
    .post('/api/v1/portal/requests')
    .set(auth())
    .set('Idempotency-Key', randomUUID())
    .send({
      reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
      contractNumber: 'HZ-2026-00123',
      serialNumber: 'XLS812-240517',
      subject: 'Awaria',
      description: 'Logi w załączniku.',
      language: 'pl',
    });
  expect(response.status).toBe(202);
  const number = response.body.requestNumber as string;
  await vi.waitFor(async () => expect(await test.gateway.store.get(number)).not.toBeNull(), { timeout: 10_000 });
  return number;
}

function upload(number: string, client: keyof typeof KEYS = 'alpha') {
  return request(app).post(`/api/v1/portal/requests/${number}/attachments`).set(auth(client));
}

/** Files in the store's temp folder: a refused upload must leave none behind. */
function leftovers(): string[] {
  return readdirSync(path.join(test.gateway.attachments.dir, 'tmp'));
}

describe('POST /requests/{number}/attachments', () => {
  it('stores logs with checksums and sniffed types and records them on the request', async () => {
    const number = await fileRequest();
    const log = Buffer.from('2026-11-26 10:00:01 robot error 0x42\n'.repeat(20));
    const archive = gzipSync(log);
    const response = await upload(number)
      .field('description', 'Logi z biblioteki')
      .attach('files', log, { filename: 'robot.log', contentType: 'text/plain' })
      .attach('files', archive, { filename: '../../etc/passwd.gz', contentType: 'application/x-msdownload' });
    conforms(response);
    expect(response.status).toBe(202);
    expect(response.body.requestNumber).toBe(number);
    expect(response.body.attachments).toEqual([
      { name: 'robot.log', type: 'text/plain', size: log.length, sha256: createHash('sha256').update(log).digest('hex') },
      // The path is gone from the name, and the sender's claimed type lost to the sniffed one.
      { name: 'passwd.gz', type: 'application/gzip', size: archive.length, sha256: createHash('sha256').update(archive).digest('hex') },
    ]);
    const stored = await vi.waitFor(
      async () => {
        const found = await test.gateway.store.get(number);
        if (found?.attachments.length !== 2) throw new Error('not recorded yet');
        return found;
      },
      { timeout: 10_000 },
    );
    for (const attachment of stored.attachments) expect(await test.gateway.attachments.exists(attachment.storageKey)).toBe(true);
    expect(existsSync(path.join(test.gateway.attachments.dir, 'etc'))).toBe(false);
    const status = await request(app).get(`/api/v1/portal/requests/${number}`).set(auth());
    expect(status.body.attachments.map((a: { name: string }) => a.name)).toEqual(['robot.log', 'passwd.gz']);

    // The same upload again is the same record, not a second one.
    const again = await upload(number).attach('files', log, { filename: 'robot.log' }).attach('files', archive, { filename: 'passwd.gz' });
    expect(again.status).toBe(202);
  });

  it('refuses executables by content and by extension (415), keeping nothing', async () => {
    const number = await fileRequest();
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from('PE\0\0'), Buffer.alloc(200)]);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(100)]);
    const cases: Array<[Buffer, string]> = [
      [pe, 'logs.txt'],
      [elf, 'dump.bin'],
      [Buffer.from('#!/bin/sh\nrm -rf /\n'), 'collect'],
      [Buffer.from('echo hello'), 'collect.BAT'],
      [Buffer.from('Write-Host hi'), 'run.ps1'],
    ];
    for (const [content, filename] of cases) {
      const response = await upload(number).attach('files', content, { filename });
      conforms(response);
      expect(response.status, filename).toBe(415);
      expect(response.body.error.code).toBe('ATTACHMENT_NOT_ALLOWED');
    }
    expect(leftovers()).toEqual([]);
    expect((await test.gateway.store.get(number))?.attachments).toEqual([]);
  });

  it('refuses executable extensions hidden behind trailing dots or spaces, which the stored name loses (415)', async () => {
    const number = await fileRequest();
    // Stored as `fix-robot.bat` etc.: what Windows would run once the file is saved.
    for (const filename of ['fix-robot.bat.', 'fix-robot.bat ', 'collect.PS1. .', 'setup.exe...']) {
      const response = await upload(number).attach('files', Buffer.from('echo hello'), { filename });
      conforms(response);
      expect(response.status, JSON.stringify(filename)).toBe(415);
      expect(response.body.error.code).toBe('ATTACHMENT_NOT_ALLOWED');
    }
    expect(leftovers()).toEqual([]);
    expect((await test.gateway.store.get(number))?.attachments).toEqual([]);
  });

  it('takes only the allow-list, by extension and by content, and says what is allowed (415)', async () => {
    // Issue 20: every one of these extensions was accepted.
    const number = await fileRequest();
    const text = Buffer.from('[InternetShortcut]\nURL=file:///C:/Windows/System32/calc.exe\n');
    for (const extension of ['hta', 'lnk', 'url', 'pif', 'cpl', 'wsf', 'msc', 'reg', 'vbe', 'jse', 'wsh', 'scf', 'chm', 'iso', 'appx', 'psm1', 'docm', 'html', 'svg']) {
      const response = await upload(number).attach('files', text, { filename: `report.${extension}` });
      conforms(response);
      expect(response.status, extension).toBe(415);
      expect(response.body.error).toMatchObject({ code: 'ATTACHMENT_NOT_ALLOWED', message: expect.stringContaining('.txt, .log, .csv, .json, .xml, .pdf, .png, .jpg, .jpeg, .gif, .webp, .zip, .gz, .tgz, .7z') });
    }
    // The content must be what the name says.
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a8f3fcd90000000049454e44ae426082', 'hex');
    const mismatched: Array<[Buffer, string]> = [
      [Buffer.from('just text, not a PDF'), 'report.pdf'],
      [png, 'robot.log'],
      [gzipSync(Buffer.from('x')), 'photo.png'],
      [Buffer.from([0x00, 0x01, 0x02, 0x03, 0x00, 0xff]), 'dump.txt'],
    ];
    for (const [content, filename] of mismatched) {
      const response = await upload(number).attach('files', content, { filename });
      expect(response.status, filename).toBe(415);
      expect(response.body.error.code).toBe('ATTACHMENT_NOT_ALLOWED');
    }
    // What the list allows, with matching content, is taken.
    const ok = await upload(number)
      .attach('files', png, { filename: 'screen.PNG' })
      .attach('files', Buffer.from('{"error": 42}'), { filename: 'status.json' })
      .attach('files', Buffer.from('<?xml version="1.0"?><log/>'), { filename: 'config.xml' });
    expect(ok.status).toBe(202);
    expect(ok.body.attachments.map((a: { type: string }) => a.type)).toEqual(['image/png', 'application/json', 'application/xml']);
    expect(leftovers()).toEqual([]);
  });

  it('removes direction overrides and invisible characters from names, and judges the name as it reads', async () => {
    const number = await fileRequest();
    // Shown as "logath.txt" with the override: it is an .hta.
    const hidden = await upload(number).attach('files', Buffer.from('<script>x</script>'), { filename: 'log\u202Etxt.hta' });
    expect(hidden.status).toBe(415);
    const renamed = await upload(number).attach('files', Buffer.from('robot error 0x42'), { filename: 'robot\u200B\u2066\u202Egol.log' });
    expect(renamed.status).toBe(202);
    expect(renamed.body.attachments[0].name).toBe('robotgol.log');
  });

  it('reads a raw UTF-8 file name as UTF-8', async () => {
    const number = await fileRequest();
    // What browsers and curl send: the name's UTF-8 bytes as they are, no filename*=.
    const body = Buffer.concat([
      Buffer.from('--B\r\nContent-Disposition: form-data; name="files"; filename="zażółć gęślą.log"\r\nContent-Type: text/plain\r\n\r\n', 'utf8'),
      Buffer.from('robot error 0x42\r\n--B--\r\n'),
    ]);
    const response = await upload(number).set('Content-Type', 'multipart/form-data; boundary=B').send(body);
    expect(response.status).toBe(202);
    expect(response.body.attachments[0].name).toBe('zażółć gęślą.log');
  });

  it('leaves nothing on disk of an upload refused after some of its files were stored', async () => {
    const number = await fileRequest();
    const stored = (): string[] => {
      const root = path.join(test.gateway.attachments.dir, 'sha256');
      return existsSync(root) ? readdirSync(root, { recursive: true }).map(String).filter((entry) => /[0-9a-f]{64}$/.test(entry)) : [];
    };
    const before = stored();
    const unique = (i: number) => Buffer.from(`${randomUUID()} robot log ${i}\n`);
    // Issue 20: a refused upload with one file too many left the files before it on disk.
    let tooMany = upload(number);
    for (let i = 0; i < 4; i += 1) tooMany = tooMany.attach('files', unique(i), { filename: `${i}.log` });
    expect((await tooMany).status).toBe(413);
    const refusedLast = await upload(number).attach('files', unique(10), { filename: 'a.log' }).attach('files', unique(11), { filename: 'b.log' }).attach('files', Buffer.from('x'), { filename: 'c.hta' });
    expect(refusedLast.status).toBe(415);
    await vi.waitFor(() => expect(leftovers()).toEqual([]), { timeout: 10_000 });
    expect(stored()).toEqual(before);
  });

  it('refuses a file over the size limit and more files than allowed (413)', async () => {
    const number = await fileRequest();
    const oversize = await upload(number).attach('files', Buffer.alloc(MAX_BYTES + 1, 0x61), { filename: 'big.log' });
    conforms(oversize);
    expect(oversize.status).toBe(413);
    const exact = await upload(number).attach('files', Buffer.alloc(MAX_BYTES, 0x62), { filename: 'exact.log' });
    expect(exact.status).toBe(202);
    let many = upload(number);
    for (let i = 0; i < 4; i += 1) many = many.attach('files', Buffer.from(`log ${i}`), { filename: `${i}.log` });
    const tooMany = await many;
    conforms(tooMany);
    expect(tooMany.status).toBe(413);
    expect(leftovers()).toEqual([]);
  });

  it('refuses non-multipart bodies (415), empty uploads (400) and other clients’ requests (404)', async () => {
    const number = await fileRequest();
    const json = await upload(number).send({ files: [] });
    conforms(json);
    expect(json.status).toBe(415);
    const none = await upload(number).field('description', 'no files');
    conforms(none);
    expect(none.status).toBe(400);
    const foreign = await upload(number, 'beta').attach('files', Buffer.from('log'), { filename: 'a.log' });
    conforms(foreign);
    expect(foreign.status).toBe(404);
    const unauthenticated = await request(app).post(`/api/v1/portal/requests/${number}/attachments`).attach('files', Buffer.from('log'), { filename: 'a.log' });
    conforms(unauthenticated);
    expect(unauthenticated.status).toBe(401);
  });
});

describe('malformed multipart bodies', () => {
  const part = '--B\r\nContent-Disposition: form-data; name="files"; filename="robot.log"\r\nContent-Type: text/plain\r\n\r\n';
  function raw(number: string, contentType: string, body: string) {
    return upload(number).set('Content-Type', contentType).send(body);
  }

  it.each([
    ['multipart/form-data without a boundary', 'multipart/form-data', `${part}robot error 0x42\r\n--B--\r\n`],
    ['a form that never ends', 'multipart/form-data; boundary=B', `${part}robot error 0x42\r\n`],
    ['a form broken off inside a file', 'multipart/form-data; boundary=B', `${part}robot error 0x42`],
    ['a part without headers', 'multipart/form-data; boundary=B', '--B\r\nrobot error 0x42\r\n--B--\r\n'],
  ])('answers %s with 400 and attaches nothing', async (_name, contentType, body) => {
    const number = await fileRequest();
    const response = await raw(number, contentType, body);
    conforms(response);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INPUT_INVALID');
    expect(response.body.error.message).toContain('multipart/form-data');
    // multer answers as soon as busboy fails the part, while the store may still be removing
    // the partial file it was writing: it goes, but not necessarily before the answer.
    await vi.waitFor(() => expect(leftovers()).toEqual([]), { timeout: 10_000 });
    expect((await test.gateway.store.get(number))?.attachments).toEqual([]);
  });

  it('keeps a failure of the store itself a 500 of ours, not the sender’s 400', async () => {
    const number = await fileRequest();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-broken-store-'));
    try {
      const { gateway } = test;
      const broken = new AttachmentStore(dir, MAX_BYTES);
      // A real disk failure: the store's temp folder is gone, so writing the upload fails (ENOENT).
      rmSync(path.join(dir, 'tmp'), { recursive: true });
      const routes = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: broken, redis: gateway.redis, settings: gateway.settings, logger: gateway.logger });
      const brokenApp = buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: routes.api }] });
      const response = await request(brokenApp).post(`/api/v1/portal/requests/${number}/attachments`).set(auth()).attach('files', Buffer.from('robot error 0x42'), { filename: 'robot.log' });
      expect(response.status).toBe(500);
      expect(response.body.error.code).toBe('INTERNAL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
