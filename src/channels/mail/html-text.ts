/**
 * Text of an HTML-only mail. mailparser's own conversion runs table cells together
 * ("S/N:Q80-25-00412Numer umowy:…", and a serial read as "Q80-25-00412NUMER") and skips an
 * HTML body that is not the root part; this one puts every cell, row and block on its own
 * line, which is what number extraction needs. Tags are dropped, never interpreted.
 *
 * It is one pass over the HTML, not a chain of regular expressions: a sender's HTML may open a
 * million tags, comments or <script>s and close none, and a lazy `<script>[\s\S]*?</script>`
 * rescans the rest of the mail from each of them — minutes of a blocked event loop for a
 * few megabytes (the hostile-mail fault test sends exactly that).
 */
import { decodeHTML } from 'entities';

/** Elements whose content is not text. */
const HIDDEN = new Set(['script', 'style', 'head', 'title']);
const BLOCK = new Set(['p', 'div', 'tr', 'li', 'ul', 'ol', 'table', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'section', 'article', 'header', 'footer']);
const RULE = '\n________________________________\n';

export function htmlToPlainText(html: string): string {
  return decodeEntities(dropTags(html))
    .replace(/[ \t\u00a0]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Tags out, line breaks in; each character is looked at a bounded number of times. */
function dropTags(html: string): string {
  const lower = html.toLowerCase();
  /** Hidden elements found unclosed: their later openers are not searched again. */
  const unclosed = new Set<string>();
  const out: string[] = [];
  let at = 0;
  while (at < html.length) {
    const open = html.indexOf('<', at);
    if (open === -1) break;
    out.push(html.slice(at, open));
    if (lower.startsWith('<!--', open)) {
      const end = lower.indexOf('-->', open + 4);
      // An unclosed comment hides the rest, as it does in a browser.
      at = end === -1 ? html.length : end + 3;
      out.push(' ');
      continue;
    }
    const close = html.indexOf('>', open + 1);
    // No '>' after this '<' means none after any later '<' either: the rest is text.
    if (close === -1) {
      at = open;
      break;
    }
    const tag = /^(\/?)([a-z][a-z0-9]*)/.exec(lower.slice(open + 1, Math.min(close, open + 20)));
    const closing = tag?.[1] === '/';
    const name = tag?.[2] ?? '';
    at = close + 1;
    if (!closing && HIDDEN.has(name) && !unclosed.has(name)) {
      const end = lower.indexOf(`</${name}`, at);
      const endClose = end === -1 ? -1 : lower.indexOf('>', end);
      if (endClose === -1) unclosed.add(name);
      else {
        at = endClose + 1;
        out.push(' ');
        continue;
      }
    }
    if (name === 'br' && !closing) out.push('\n');
    else if (name === 'hr' && !closing) out.push(RULE);
    else if ((name === 'td' || name === 'th') && closing) out.push(' \t');
    else if (BLOCK.has(name)) out.push('\n');
  }
  out.push(html.slice(at));
  return out.join('');
}

/**
 * Every HTML5 named entity (&oacute; &ndash; &hellip; … and the legacy ones browsers accept
 * without a semicolon) and numeric ones, decoded as a browser does — by `entities`, the decoder
 * of htmlparser2 (mailparser's HTML reader): a number that is no Unicode character becomes
 * U+FFFD. Decoded after the tags are dropped, so a decoded `&lt;b&gt;` stays text.
 */
function decodeEntities(text: string): string {
  return decodeHTML(text);
}
