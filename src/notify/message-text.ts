/**
 * What the acknowledgments and the alerts share: the shape of a rendered mail, and how text from
 * reporters is made safe for one-line fields (subjects, labels).
 */

/** A rendered mail: subject and plain-text body. */
export interface RenderedMail {
  subject: string;
  text: string;
}

/** Text from reporters ends up in subjects and one-line fields: no line breaks, no control characters. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
