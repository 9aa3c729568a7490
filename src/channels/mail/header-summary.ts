/**
 * The header of a mail we will not download (oversize): who sent it, its subject and the
 * headers the loop guard reads — enough to tell the sender without reading the body.
 *
 * Only those fields are fetched (HEADER.FIELDS; the server picks them out): an oversize mail
 * may carry megabytes of header too (10,000 Received lines), which is neither downloaded nor
 * handed to a parser that gives up past 1 MB of header. A summary that threw would leave the
 * mail in INBOX and stop the drain at it on every attempt, so an unreadable one is empty.
 */
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { LOOP_GUARD_HEADERS } from './loop-guard.js';
import { rawHeaderLookup } from './parse-mail.js';

const SUMMARY_HEADERS = ['from', 'subject', 'message-id', ...LOOP_GUARD_HEADERS];

export interface HeaderSummary {
  from?: string | undefined;
  subject: string;
  messageId?: string | undefined;
  lookup(name: string): string | undefined;
}

export async function headerSummary(client: ImapFlow, uid: number): Promise<HeaderSummary> {
  const fetched = await client.fetchOne(String(uid), { uid: true, headers: SUMMARY_HEADERS }, { uid: true });
  const header = fetched && fetched.headers ? fetched.headers : Buffer.alloc(0);
  try {
    const parsed = await simpleParser(Buffer.concat([header, Buffer.from('\r\n')]), { skipHtmlToText: true });
    const from = parsed.from?.value.find((entry) => entry.address)?.address;
    return { from, subject: parsed.subject ?? '', messageId: parsed.messageId, lookup: rawHeaderLookup(parsed.headerLines) };
  } catch {
    // Unreadable even so: the mail is still quarantined; the sender just cannot be told.
    return { subject: '', lookup: () => undefined };
  }
}
