/**
 * Mail an engineer sends a reporter from the workbench, in Polish or English: a reply (the
 * engineer's own text inside a greeting and a signature with their name) and the notice that a
 * duplicate was folded into another request. Pure; threaded like the acknowledgment (the same
 * subject tag, subjectInThread) so that the reporter's answer finds the request.
 */
import { requestTag } from '../domain/thread-keys.js';
import type { Language } from '../domain/instant-in-words.js';
import { subjectInThread } from './acknowledgment-messages.js';
import { oneLine, type RenderedMail } from './message-text.js';

export interface EngineerReplyInput {
  requestNumber: string;
  language: Language;
  /** The engineer's text, as typed (line breaks kept). */
  text: string;
  /** Shown in the signature: "Anna Nowak". */
  engineerName: string;
  /** The reporter's subject, so that their mail client threads the reply. */
  subject?: string;
}

const SIGNATURE: Record<Language, (name: string) => string[]> = {
  pl: (name) => ['Pozdrawiam,', name, 'Inżynier serwisu HEZO', 'myHEZO — serwis HEZO'],
  en: (name) => ['Kind regards,', name, 'HEZO service engineer', 'myHEZO — HEZO service'],
};

export function renderEngineerReply(input: EngineerReplyInput): RenderedMail {
  const pl = input.language === 'pl';
  const tag = requestTag(input.requestNumber);
  const body = [
    pl ? 'Dzień dobry,' : 'Hello,',
    '',
    input.text.replace(/\r\n?/g, '\n').trim(),
    '',
    pl ? `Odpowiadając, zachowaj w temacie numer ${tag}.` : `When you reply, keep ${tag} in the subject.`,
    '',
    '-- ',
    ...SIGNATURE[input.language](oneLine(input.engineerName)),
  ];
  const headline = pl ? `Zgłoszenie ${input.requestNumber}` : `Request ${input.requestNumber}`;
  return { subject: subjectInThread(input.requestNumber, input.subject, headline), text: body.join('\n') };
}

export interface MergeNoticeInput {
  /** The reporter's request, closed as a duplicate. */
  duplicate: string;
  /** The request the work goes on under. */
  into: string;
  language: Language;
  engineerName: string;
  subject?: string;
}

/** Tells a duplicate's reporter the number the work goes on under. */
export function renderMergeNotice(input: MergeNoticeInput): RenderedMail {
  const pl = input.language === 'pl';
  const body = [
    pl ? 'Dzień dobry,' : 'Hello,',
    '',
    pl
      ? `Twoje zgłoszenie ${input.duplicate} dotyczy tej samej sprawy co zgłoszenie ${input.into}, więc połączyliśmy je. Dalsza obsługa odbywa się pod numerem ${input.into}; wszystko, co przesłałeś, zostało do niego dołączone.`
      : `Your request ${input.duplicate} concerns the same matter as request ${input.into}, so we have merged them. The work goes on under number ${input.into}; everything you sent has been added to it.`,
    '',
    pl ? `Odpowiadając, podaj w temacie numer ${requestTag(input.into)}.` : `When you reply, put ${requestTag(input.into)} in the subject.`,
    '',
    '-- ',
    ...SIGNATURE[input.language](oneLine(input.engineerName)),
  ];
  const headline = pl ? `Połączone ze zgłoszeniem ${input.into}` : `Merged into request ${input.into}`;
  return { subject: subjectInThread(input.duplicate, input.subject, headline), text: body.join('\n') };
}
