/**
 * A mail loop attempt: a naive auto-responder (no Auto-Submitted, no Precedence) answers every
 * mail it gets from us. Threaded answers attach to their request and are not acknowledged; an
 * unthreaded one makes new requests, but our acknowledgments to it stop at the per-sender rate
 * limit — so the loop dies out: no more replies than the limit, no request storm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

const LIMIT = 3;
let bench: MailBench;

beforeAll(async () => {
  bench = await startMailBench({ notify: { attempts: 5, backoffMs: 100, maxBackoffMs: 500, ackPerSenderPerHour: LIMIT } });
});
afterAll(async () => {
  await bench?.stop();
});

/** Answers every acknowledgment sent to `address` by appending a reply to the mailbox. */
function autoResponder(address: string, user: string, threaded: boolean): { stop(): void; replies: () => number } {
  let answered = 0;
  let replies = 0;
  const timer = setInterval(() => {
    const mine = bench.smtp.messages.filter((mail) => mail.envelope.to.includes(address));
    for (const mail of mine.slice(answered)) {
      answered += 1;
      replies += 1;
      const { raw } = buildMail({
        from: `Robot <${address}>`,
        subject: threaded ? `Re: ${mail.subject}` : `Out of office ${replies}`,
        body: 'I am out of the office until Monday.\n',
        headers: threaded ? { 'In-Reply-To': mail.header('message-id') ?? '' } : {},
      });
      void bench.dovecot.append(user, raw);
    }
  }, 100);
  return { stop: () => clearInterval(timer), replies: () => replies };
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('a mail loop attempt', () => {
  it('stops at the acknowledgment rate limit when the auto-responder does not thread', async () => {
    const [pomoc] = bench.mailboxes('loop-a');
    await bench.supervise([pomoc!]);
    const responder = autoResponder('robot-a@klient.pl', pomoc!.imap.user, false);
    try {
      const { raw } = buildMail({ from: 'Robot <robot-a@klient.pl>', subject: 'Awaria', body: 'Numer umowy: HZ-2026-00123\nS/N: XLS812-240517\n' });
      await bench.dovecot.append(pomoc!.imap.user, raw);
      await settle(8_000);
    } finally {
      responder.stop();
    }
    const acknowledgments = bench.smtp.messages.filter((mail) => mail.envelope.to.includes('robot-a@klient.pl')).length;
    expect(acknowledgments).toBeLessThanOrEqual(LIMIT);
    expect(responder.replies()).toBeLessThanOrEqual(LIMIT);
    const requests = (await bench.test.gateway.store.listOpen({ limit: 10_000 })).filter((r) => r.reporter.email === 'robot-a@klient.pl').length;
    expect(requests).toBeLessThanOrEqual(LIMIT + 1);
    console.log(`mail loop (unthreaded): ${acknowledgments} acknowledgments, ${responder.replies()} auto-replies, ${requests} requests — stopped at the limit of ${LIMIT}`);
  }, 60_000);

  it('attaches threaded auto-replies to their request without answering them', async () => {
    const [pomoc] = bench.mailboxes('loop-b');
    await bench.supervise([pomoc!]);
    const responder = autoResponder('robot-b@klient.pl', pomoc!.imap.user, true);
    try {
      const { raw, messageId } = buildMail({ from: 'Robot <robot-b@klient.pl>', subject: 'Awaria', body: 'Numer umowy: HZ-2026-00123\nS/N: XLS812-240517\n' });
      await bench.dovecot.append(pomoc!.imap.user, raw);
      const filed = await bench.requestFor(messageId);
      await settle(5_000);
      const history = await bench.test.gateway.store.history(filed.number);
      expect(history.filter((event) => event.type === 'reply').length).toBe(responder.replies());
    } finally {
      responder.stop();
    }
    const acknowledgments = bench.smtp.messages.filter((mail) => mail.envelope.to.includes('robot-b@klient.pl')).length;
    expect(acknowledgments).toBe(1);
    expect(responder.replies()).toBe(1);
    console.log(`mail loop (threaded): ${acknowledgments} acknowledgment, ${responder.replies()} auto-reply attached, loop over`);
  }, 60_000);
});
