/**
 * The notice an oversize mail's sender gets (DESIGN.md section 5: never skipped in silence),
 * in Polish and English — we have not read the body, so we cannot tell which the sender uses.
 */

export function oversizeNotice(input: { subject: string; size: number; maxBytes: number; mailboxAddress: string }): { subject: string; text: string } {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const subject = input.subject ? `Wiadomość za duża / Message too large: ${input.subject}`.slice(0, 900) : 'Wiadomość za duża / Message too large';
  const text = [
    `Dzień dobry,`,
    ``,
    `Pani/Pana wiadomość do ${input.mailboxAddress} ma ${mb(input.size)}, a przyjmujemy wiadomości do ${mb(input.maxBytes)}.`,
    `Nie została zarejestrowana jako zgłoszenie. Prosimy wysłać ją ponownie bez dużych załączników`,
    `(logi można spakować lub przesłać przez portal myHEZO.pl), podając numer umowy i numer seryjny urządzenia.`,
    ``,
    `Hello,`,
    ``,
    `Your message to ${input.mailboxAddress} is ${mb(input.size)}; we accept messages up to ${mb(input.maxBytes)}.`,
    `It has not been filed as a service request. Please send it again without large attachments`,
    `(compress the logs or upload them through the myHEZO.pl portal), with the contract and serial numbers.`,
    ``,
    `myHEZO`,
  ].join('\n');
  return { subject, text };
}
