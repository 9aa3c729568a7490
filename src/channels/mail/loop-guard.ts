/**
 * Loop protection (DESIGN.md section 5): mail that must never be answered automatically —
 * auto-replies, bounces, mailing lists, and our own mail coming back. Such mail is still
 * filed (a bounce of our acknowledgment may matter to an engineer) but marked `silent`, so
 * the dispatcher sends no acknowledgment. Pure: headers in, a verdict out.
 */

/** Every header loopGuardReason reads (fetched alone for a mail too large to download). */
export const LOOP_GUARD_HEADERS = [
  'auto-submitted', 'precedence', 'x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-response-suppress-loop', 'x-loop', 'list-id',
  'list-unsubscribe', 'x-ms-exchange-generated-message-source', 'x-ms-exchange-inbox-rules-loop', 'content-type', 'return-path',
] as const;

/** Header values by lowercased name; repeated headers may be joined. */
export type HeaderLookup = (name: string) => string | undefined;

/** Why a mail is not to be answered, or undefined when an answer is fine. */
export function loopGuardReason(header: HeaderLookup, sender: string | undefined, ownAddresses: readonly string[]): string | undefined {
  const autoSubmitted = header('auto-submitted')?.trim().toLowerCase();
  // RFC 3834: anything but "no" was sent by a machine.
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return `Auto-Submitted: ${autoSubmitted}`;
  const precedence = header('precedence')?.trim().toLowerCase();
  if (precedence && /^(bulk|junk|list|auto[-_]reply)\b/.test(precedence)) return `Precedence: ${precedence}`;
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-auto-response-suppress-loop']) {
    const value = header(name);
    if (value !== undefined && value.trim().toLowerCase() !== 'no') return `${name}: ${value.trim()}`;
  }
  if (header('x-loop') !== undefined) return `X-Loop: ${header('x-loop')?.trim()}`;
  if (header('list-id') !== undefined) return 'List-Id (mailing list)';
  if (header('list-unsubscribe') !== undefined) return 'List-Unsubscribe (mailing list)';
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
