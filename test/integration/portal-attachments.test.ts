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
      expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
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
      expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect(leftovers()).toEqual([]);
    expect((await test.gateway.store.get(number))?.attachments).toEqual([]);
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
