/**
 * The keys that thread mail to its request (DESIGN.md section 5), each written and read here:
 * the tag `[HZ-2026-000123]` our subjects carry, our own Message-IDs (which name their
 * request), Message-IDs as compared, what a reference names, and the thread an acknowledgment
 * joins. The mail channel reads them, notify writes them, submit() resolves them — and the
 * allocation script in Redis is handed what they name, never a Message-ID to take apart.
 */
import { createHash } from 'node:crypto';
import { parseRequestNumber, REQUEST_NUMBER_SOURCE } from './request-number.js';
import type { ValidDraft } from './request.js';

/** `<ABC@x.pl>` and `abc@X.pl` are the same Message-ID for threading. */
export function normalizeMessageId(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** The tag every subject of ours carries, so that a reply finds its request: `[HZ-2026-000123]`. */
export function requestTag(requestNumber: string): string {
  return `[${requestNumber}]`;
}

const REQUEST_TAG_IN_TEXT = new RegExp(`\\[${REQUEST_NUMBER_SOURCE}\\]`, 'gi');

/** A subject with each request tag (any case) replaced by a space: `Re: [HZ-…] Awaria` → `Re:   Awaria`. */
export function withoutRequestTags(subject: string): string {
  return subject.replace(REQUEST_TAG_IN_TEXT, ' ');
}

/** What a mail of ours is: an acknowledgment to a reporter, an engineer's reply to one, or an alert to engineers. */
export type OurMailKind = 'ack' | 'reply' | 'alert';

/**
 * `<hz-2026-000123.ack.5f0c…@intake.myhezo.pl>`: the request number comes first so that a reply
 * (In-Reply-To / References) can be threaded back to its request by reading it out. The token
 * is derived from the job id rather than random, so that a resend after a crash carries the
 * same Message-ID and the reporter's mail client can drop the duplicate.
 */
export function ourMessageId(requestNumber: string, kind: OurMailKind, jobId: string, domain: string): string {
  const token = createHash('sha256').update(jobId).digest('hex').slice(0, 20);
  const number = requestNumber.toLowerCase().replace(/[^a-z0-9-]/g, '');
  return `<${number ? `${number}.` : ''}${kind}.${token}@${domain}>`;
}

const OUR_MESSAGE_ID = new RegExp(`^(${REQUEST_NUMBER_SOURCE})\\.[^@]*@(.+)$`, 'i');

/**
 * The request one of our Message-IDs names (`hz-2026-000123.ack.…@intake.myhezo.pl` →
 * `HZ-2026-000123`), or null when it is not ours: another domain, or no number in front.
 */
export function requestOfOurMessageId(messageId: string, ownDomain: string): string | null {
  const own = OUR_MESSAGE_ID.exec(normalizeMessageId(messageId));
  if (!own || own[2] !== ownDomain.toLowerCase()) return null;
  return parseRequestNumber(own[1] ?? '');
}

/**
 * The request one of our acknowledgments' Message-IDs names (`hz-2026-000123.ack.…@domain`),
 * or null for any other Message-ID — an alert's (`.alert.`) included.
 */
export function requestOfOurAcknowledgment(messageId: string, ownDomain: string): string | null {
  const number = requestOfOurMessageId(messageId, ownDomain);
  return number !== null && normalizeMessageId(messageId).split('.')[1] === 'ack' ? number : null;
}

/** What a draft's reference names: a request (by its number, or by our Message-ID) or another Message-ID. */
export type ThreadReference = { requestNumber: string } | { messageId: string };

/**
 * A reference as threading reads it: a request number; one of our Message-IDs, which names its
 * request, so a reply to an acknowledgment threads even when nothing recorded that Message-ID;
 * else a Message-ID (normalized) that may have been recorded for a request.
 */
export function threadReference(reference: string, ownMessageIdDomain?: string): ThreadReference {
  const number = parseRequestNumber(reference);
  if (number !== null) return { requestNumber: number };
  const ours = ownMessageIdDomain ? requestOfOurMessageId(reference, ownMessageIdDomain) : null;
  if (ours !== null) return { requestNumber: ours };
  return { messageId: normalizeMessageId(reference) };
}

/**
 * The thread an acknowledgment of a mail joins: In-Reply-To that mail's Message-ID, References
 * the Message-IDs it referred to and its own. Nothing for drafts that did not come by mail.
 */
export function replyThreadOf(draft: ValidDraft): { inReplyTo?: string; references?: string[] } {
  const messageId = draft.raw.payload?.messageId;
  if (typeof messageId !== 'string') return {};
  return { inReplyTo: messageId, references: [...draft.references.filter((ref) => ref.includes('@')), messageId] };
}
