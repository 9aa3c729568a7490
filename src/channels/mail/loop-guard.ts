/**
 * Loop protection (DESIGN.md section 5): mail that must never be answered automatically —
 * auto-replies, bounces, mailing lists, spam, mail whose sender asked for no automatic answer,
 * and our own mail coming back. Such mail is still filed (a bounce of our acknowledgment may
 * matter to an engineer) but marked `silent`, so the dispatcher sends no acknowledgment. Pure:
 * headers in, a verdict out.
 */

/**
 * Headers that list software adds and people's mail never carries. A Mailman digest carries
 * X-Mailman-Version and no List-* header at all; ezmlm writes Mailing-List; older list servers
 * (LISTSERV, ListProc, Majordomo, Sympa) their own X- headers.
 */
const LIST_SOFTWARE_HEADERS = [
  'list-id', 'list-unsubscribe', 'list-post', 'list-help', 'list-subscribe', 'list-owner', 'list-archive',
  'x-mailman-version', 'x-listprocessor-version', 'x-mailer-list', 'x-list', 'x-mailing-list', 'mailing-list',
  'x-listserver', 'x-ml-name', 'x-list-administrivia', 'x-sympa-to',
] as const;

/** Every header loopGuardReason reads (fetched alone for a mail too large to download). */
export const LOOP_GUARD_HEADERS = [
  'auto-submitted', 'precedence', 'x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-response-suppress', 'x-loop',
  'x-spam-flag', 'x-spam-status', ...LIST_SOFTWARE_HEADERS,
  'x-ms-exchange-generated-message-source', 'x-ms-exchange-inbox-rules-loop', 'content-type', 'return-path',
] as const;

/**
 * X-Auto-Response-Suppress (Microsoft): the values by which a sender asks for no automatic
 * answer of any kind we send. `All`; `OOF` and `AutoReply` (out-of-office and rule replies);
 * `DR` and `NDR` (delivery reports — mail carrying them is usually itself machine-made). `RN`
 * and `NRN` only concern read receipts, and `None` asks for nothing.
 */
const SUPPRESSING_VALUES = new Set(['all', 'oof', 'autoreply', 'dr', 'ndr']);

/** Header values by lowercased name; repeated headers may be joined. */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * Whether a spam filter on the way (SpamAssassin, rspamd, Exchange's headers in the same
 * words) marked the mail as spam: `X-Spam-Flag: YES` or `X-Spam-Status: Yes, score=…`.
 */
export function spamFlag(header: HeaderLookup): string | undefined {
  const flag = header('x-spam-flag')?.trim();
  if (flag && /^yes\b/i.test(flag)) return `X-Spam-Flag: ${flag}`;
  const status = header('x-spam-status')?.trim();
  if (status && /^yes\b/i.test(status)) return `X-Spam-Status: ${status.split(/[,\s]/)[0]}`;
  return undefined;
}

/** Why a mail is not to be answered, or undefined when an answer is fine. */
export function loopGuardReason(header: HeaderLookup, sender: string | undefined, ownAddresses: readonly string[]): string | undefined {
  const autoSubmitted = header('auto-submitted')?.trim().toLowerCase();
  // RFC 3834: anything but "no" was sent by a machine.
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return `Auto-Submitted: ${autoSubmitted}`;
  const precedence = header('precedence')?.trim().toLowerCase();
  if (precedence && /^(bulk|junk|list|auto[-_]reply)\b/.test(precedence)) return `Precedence: ${precedence}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    const value = header(name);
    if (value !== undefined && value.trim().toLowerCase() !== 'no') return `${name}: ${value.trim()}`;
  }
  const suppress = header('x-auto-response-suppress');
  if (suppress !== undefined && suppress.split(/[\s,;]+/).some((value) => SUPPRESSING_VALUES.has(value.toLowerCase()))) {
    return `X-Auto-Response-Suppress: ${suppress.trim()}`;
  }
  if (header('x-loop') !== undefined) return `X-Loop: ${header('x-loop')?.trim()}`;
  const spam = spamFlag(header);
  if (spam) return `spam (${spam})`;
  const list = LIST_SOFTWARE_HEADERS.find((name) => header(name) !== undefined);
  if (list) return `mailing list (${headerName(list)})`;
  if (header('x-ms-exchange-generated-message-source') !== undefined || header('x-ms-exchange-inbox-rules-loop') !== undefined) {
    return 'Exchange-generated message';
  }
  // Delivery status notifications: report/delivery-status bodies or a null Return-Path.
  const contentType = header('content-type')?.toLowerCase() ?? '';
  if (contentType.includes('multipart/report')) return 'delivery status report (bounce)';
  const returnPath = header('return-path')?.trim();
  if (returnPath === '<>' || returnPath === '') return 'null sender (Return-Path: <>)';
  const address = sender?.trim().toLowerCase() ?? '';
  if (!address) return 'no sender address';
  const local = address.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)$/.test(local)) return `machine sender (${local})`;
  if (ownAddresses.some((own) => own.toLowerCase() === address)) return 'our own address';
  return undefined;
}

/** `x-mailman-version` → `X-Mailman-Version`, as headers are usually written. */
function headerName(lowercased: string): string {
  return lowercased.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
