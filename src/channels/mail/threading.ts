/**
 * Threading (DESIGN.md section 5): which request a mail answers. A reply carries the request
 * tag `[HZ-2026-000123]` in its subject or one of our Message-IDs in In-Reply-To/References;
 * submit() attaches the draft to the request a reference names. Pure functions.
 */
import { requestNumbersIn } from '../../domain/request-number.js';
import { normalizeMessageId } from '../../domain/thread-keys.js';

/** At most this many references per draft (the draft schema allows 100). */
const MAX_REFERENCES = 100;

/** `<a@x> <b@y>` (References) or one id (In-Reply-To) → normalized ids, newest first. */
export function messageIds(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const ids = values.flatMap((value) => [...value.matchAll(/<([^<>\s]+)>/g)].map((match) => normalizeMessageId(match[1] ?? '')));
  return ids.filter(Boolean).reverse();
}

/**
 * A draft's references: tags in the subject (and in the body for escalations, which name the
 * request they escalate in the text), then In-Reply-To, then References, newest first.
 */
export function mailReferences(input: { subject: string; body: string; kind: 'service' | 'escalation'; inReplyTo?: string | string[]; references?: string | string[] }): string[] {
  const tags = requestNumbersIn(input.subject);
  if (input.kind === 'escalation') tags.push(...requestNumbersIn(input.body));
  return unique([...tags, ...messageIds(input.inReplyTo), ...messageIds(input.references)]).slice(0, MAX_REFERENCES);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
