/**
 * The header of a mail we will not download (oversize): who sent it, its subject and the
 * headers the loop guard reads — enough to tell the sender without reading the body.
 */
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { rawHeaderLookup } from './parse-mail.js';

export interface HeaderSummary {
  from?: string | undefined;
  subject: string;
  messageId?: string | undefined;
  lookup(name: string): string | undefined;
}

export async function headerSummary(client: ImapFlow, uid: number): Promise<HeaderSummary> {
  const fetched = await client.fetchOne(String(uid), { uid: true, headers: true }, { uid: true });
  const raw = fetched && fetched.headers ? fetched.headers : Buffer.alloc(0);
  const parsed = await simpleParser(Buffer.concat([raw, Buffer.from('\r\n')]), { skipHtmlToText: true });
  const from = parsed.from?.value.find((entry) => entry.address)?.address;
  return { from, subject: parsed.subject ?? '', messageId: parsed.messageId, lookup: rawHeaderLookup(parsed.headerLines) };
}
