/**
 * The threading keys, written and read in one module: our Message-IDs name their request and
 * are read back to it, the subject tag, Message-IDs as compared, what a reference names, and
 * the thread an acknowledgment joins.
 */
import { describe, expect, it } from 'vitest';
import { intakeDraftSchema } from '../../src/domain/request.js';
import {
  normalizeMessageId,
  ourMessageId,
  replyThreadOf,
  requestOfOurMessageId,
  requestTag,
  threadReference,
  withoutRequestTags,
} from '../../src/domain/thread-keys.js';

const DOMAIN = 'intake.myhezo.pl';

describe('our Message-IDs', () => {
  it('name their request first and read back to it, brackets and case aside', () => {
    const id = ourMessageId('HZ-2026-000123', 'ack', 'ack-mail:HZ-2026-000123', DOMAIN);
    expect(id).toMatch(/^<hz-2026-000123\.ack\.[0-9a-f]{20}@intake\.myhezo\.pl>$/);
    expect(requestOfOurMessageId(id, DOMAIN)).toBe('HZ-2026-000123');
    expect(requestOfOurMessageId(id.toUpperCase(), 'INTAKE.myhezo.pl')).toBe('HZ-2026-000123');
  });

  it('are the same for the same job, so a resend after a crash can be told a duplicate', () => {
    expect(ourMessageId('HZ-2026-000123', 'alert', 'job-1', DOMAIN)).toBe(ourMessageId('HZ-2026-000123', 'alert', 'job-1', DOMAIN));
    expect(ourMessageId('HZ-2026-000123', 'alert', 'job-1', DOMAIN)).not.toBe(ourMessageId('HZ-2026-000123', 'alert', 'job-2', DOMAIN));
  });

  it('name no request when sent on another domain, or when the mail had no request', () => {
    expect(requestOfOurMessageId(ourMessageId('HZ-2026-000123', 'ack', 'j', 'elsewhere.example'), DOMAIN)).toBeNull();
    expect(requestOfOurMessageId(ourMessageId('', 'alert', 'j', DOMAIN), DOMAIN)).toBeNull();
    expect(requestOfOurMessageId('<hz-2026-00012.ack.x@intake.myhezo.pl>', DOMAIN)).toBeNull();
  });
});

describe('references', () => {
  it('a request number in any case names that request', () => {
    expect(threadReference('hz-2026-000123', DOMAIN)).toEqual({ requestNumber: 'HZ-2026-000123' });
  });

  it('our Message-ID names its request even when nothing recorded it', () => {
    expect(threadReference('<HZ-2026-000777.ack.abc@Intake.MyHezo.pl>', DOMAIN)).toEqual({ requestNumber: 'HZ-2026-000777' });
  });

  it('any other Message-ID is compared without brackets and case, also ours when no own domain is set', () => {
    expect(threadReference('<CAF=abc@Mail.Example.pl>', DOMAIN)).toEqual({ messageId: 'caf=abc@mail.example.pl' });
    expect(threadReference('<hz-2026-000777.ack.abc@intake.myhezo.pl>')).toEqual({ messageId: 'hz-2026-000777.ack.abc@intake.myhezo.pl' });
    expect(normalizeMessageId('  <ABC@x.PL> ')).toBe('abc@x.pl');
  });
});

describe('subjects', () => {
  it('carry the tag in brackets, and a reply subject loses every tag of ours, in any case', () => {
    expect(requestTag('HZ-2026-000123')).toBe('[HZ-2026-000123]');
    expect(withoutRequestTags('Re: [hz-2026-000123] Awaria [HZ-2026-000124]')).toBe('Re:   Awaria  ');
    expect(withoutRequestTags('Umowa HZ-2026-00123, zgłoszenie HZ-2026-000123')).toBe('Umowa HZ-2026-00123, zgłoszenie HZ-2026-000123');
  });
});

describe('the thread of an acknowledgment', () => {
  const draft = (raw: object, references: string[]) =>
    intakeDraftSchema.parse({
      channel: 'email',
      kind: 'service',
      sourceKey: 'mail:x',
      sentAt: '2026-11-20T10:00:00Z',
      reporter: {},
      language: 'pl',
      references,
      raw,
    });

  it('answers the mail and keeps the Message-IDs it referred to, not request numbers', () => {
    expect(replyThreadOf(draft({ payload: { messageId: '<new@example.pl>' } }, ['HZ-2026-000123', 'old@example.pl']))).toEqual({
      inReplyTo: '<new@example.pl>',
      references: ['old@example.pl', '<new@example.pl>'],
    });
  });

  it('is none for a draft that did not come by mail', () => {
    expect(replyThreadOf(draft({ payload: { callSid: 'CA1' } }, []))).toEqual({});
  });
});
