/**
 * `hezo-intake mailboxes check`: the first thing an administrator runs after pointing the
 * gateway at its mailboxes. For each mailbox and for the SMTP relay it signs in as the gateway
 * will, one line per step, OK or the exact reason with what to do; exit 0 when every step passed.
 */
import type { CliIo } from '../util/cli-io.js';
import { probeMailbox } from '../channels/mail/mailbox-probe.js';
import { describeCredentials, MailTokens } from '../mail-auth/mail-credentials.js';
import type { CheckStep } from '../mail-auth/sign-in-check.js';
import { probeSmtp } from '../notify/smtp-probe.js';
import { smtpCredentials } from '../notify/mail-sender.js';
import { loadSettings } from '../settings-loader.js';

/** Width of the step column. */
const STEP_WIDTH = 22;

export async function mailboxesCheck(io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { settings } = loadSettings({ env });
  // Its own token cache: the check asks each endpoint as a fresh start of the gateway would.
  const tokens = new MailTokens();
  let passed = 0;
  let failed = 0;
  const report = (steps: CheckStep[]): void => {
    for (const step of steps) {
      if (step.ok) passed += 1;
      else failed += 1;
      const label = `  ${step.step.padEnd(STEP_WIDTH)}`;
      io.stdout.write(step.ok ? `${label}OK, ${step.detail}\n` : `${label}FAILED: ${step.detail}${step.advice ? ` → ${step.advice}` : ''}\n`);
    }
  };

  if (settings.mailboxes.list.length === 0) {
    io.stdout.write('No mailboxes are configured (mailboxes.list in config/local.json): docs/mailboxes.md shows how.\n');
    failed += 1;
  }
  for (const mailbox of settings.mailboxes.list) {
    const credentials = tokens.credentials(mailbox.imap, mailbox.address);
    const { host, port, secure } = mailbox.imap;
    io.stdout.write(`Mailbox ${mailbox.name} (${mailbox.address}) at ${host}:${port}${secure ? ' over TLS' : ''}, ${describeCredentials(credentials)}\n`);
    report(await probeMailbox(mailbox, credentials));
  }

  const { smtp } = settings.mail;
  if (!smtp.host) {
    io.stdout.write('SMTP relay: not configured (mail.smtp.host is empty): acknowledgments and mailed alerts are only logged.\n');
  } else {
    const credentials = smtpCredentials(settings.mail, tokens);
    io.stdout.write(`SMTP relay ${smtp.host}:${smtp.port}${smtp.secure ? ' over TLS' : ''}, ${describeCredentials(credentials)}\n`);
    report(await probeSmtp(smtp, credentials));
  }

  io.stdout.write(failed === 0 ? `All ${passed} checks passed.\n` : `${failed} of ${passed + failed} checks failed.\n`);
  return failed === 0 ? 0 : 1;
}
