/**
 * Reads TwiML back into plain data, as Twilio would: the verbs in order, their attributes and
 * text, a <Gather>'s nested <Say>s. Enough XML for what VoiceResponse writes (elements,
 * attributes in double quotes, text, the five predefined entities) — no new dependency. Used
 * by the call simulator and by the tests that walk calls.
 */
import { IntakeError } from '../../errors.js';

/** One TwiML verb. */
export interface TwimlVerb {
  name: string;
  attributes: Record<string, string>;
  /** The text content (a <Say>'s words, a <Redirect>'s URL), entities decoded. */
  text: string;
  children: TwimlVerb[];
}

const TOKEN = /<\?[^>]*\?>|<!--[\s\S]*?-->|<\/([A-Za-z]+)\s*>|<([A-Za-z]+)((?:\s+[A-Za-z:]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
const ATTRIBUTE = /([A-Za-z:]+)="([^"]*)"/g;

function decode(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
    if (entity === 'lt') return '<';
    if (entity === 'gt') return '>';
    if (entity === 'quot') return '"';
    if (entity === 'apos') return "'";
    if (entity === 'amp') return '&';
    const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
    return String.fromCodePoint(code);
  });
}

/** The verbs of a TwiML document (the children of <Response>); throws on a document that is not TwiML. */
export function readTwiml(xml: string): TwimlVerb[] {
  const root: TwimlVerb = { name: '#document', attributes: {}, text: '', children: [] };
  const stack: TwimlVerb[] = [root];
  for (const match of xml.matchAll(TOKEN)) {
    const [, closing, opening, attributeText, selfClosing, text] = match;
    const top = stack[stack.length - 1] as TwimlVerb;
    if (opening !== undefined) {
      const attributes: Record<string, string> = {};
      for (const [, name, value] of (attributeText ?? '').matchAll(ATTRIBUTE)) attributes[name as string] = decode(value ?? '');
      const element: TwimlVerb = { name: opening, attributes, text: '', children: [] };
      top.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    } else if (closing !== undefined) {
      if (top.name !== closing) throw new IntakeError('TWIML_INVALID', `TwiML: </${closing}> closes <${top.name}>`);
      stack.pop();
    } else if (text !== undefined) {
      top.text += decode(text);
    }
  }
  const response = root.children[0];
  if (stack.length !== 1 || response?.name !== 'Response') throw new IntakeError('TWIML_INVALID', 'TwiML: expected one <Response> element');
  return response.children;
}

/** Everything the caller would hear, in order (the <Say>s, also inside <Gather>). */
export function spokenText(verbs: readonly TwimlVerb[]): string[] {
  return verbs.flatMap((verb) => (verb.name === 'Say' ? [verb.text.trim()] : spokenText(verb.children)));
}
