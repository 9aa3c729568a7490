/**
 * The address of a mailbox as headers and settings write it: `myHEZO Pomoc <pomoc@myhezo.pl>`
 * or a bare `pomoc@myhezo.pl`. Used for our own From (X-Loop, the loop guard's own addresses)
 * and for an acknowledgment's recipient (the per-sender rate limit).
 */

/** `myHEZO Pomoc <Pomoc@myhezo.pl>` → `Pomoc@myhezo.pl`: the address in angle brackets, or the whole text; trimmed. */
export function mailboxAddress(mailbox: string): string {
  return (/<([^>]*)>/.exec(mailbox)?.[1] ?? mailbox).trim();
}

/** The address as compared: `myHEZO Pomoc <Pomoc@myhezo.pl>` → `pomoc@myhezo.pl` (mail systems compare addresses without case). */
export function bareAddress(mailbox: string): string {
  return mailboxAddress(mailbox).toLowerCase();
}
