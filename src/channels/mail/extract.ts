/**
 * What a reporter wrote, and the numbers in it: the body without quoted history and
 * signatures (a reply quotes our acknowledgment and the whole thread before it, whose numbers
 * are not the ones this mail reports), and the serial and contract numbers found in the
 * subject and that text with the patterns from settings. Pure functions over strings.
 */
import type { ContractRegistry } from '../../domain/contracts.js';
import { REQUEST_NUMBER_IN_TEXT } from '../../domain/request-number.js';

/** Where a reply's quoted history begins: Gmail, Outlook (Polish and English), Apple, Thunderbird. */
const QUOTE_HEADERS: readonly RegExp[] = [
  /^\s*W dniu .{4,200}?(?:napisał|napisała|pisze)(?:\(a\))?\s*:?\s*$/i,
  /^\s*(?:On|Am|Le) .{4,200}?(?:wrote|schrieb|a écrit)\s*:\s*$/i,
  /^\s*-{2,}\s*(?:Original Message|Wiadomość oryginalna|Oryginalna wiadomość|Ursprüngliche Nachricht)\s*-{2,}\s*$/i,
  /^\s*_{10,}\s*$/,
];
/** Two-line Gmail attributions: "W dniu pt., 20 lis 2026 o 10:00 Anna <a@x.pl>" + "napisał(a):". */
const WRAPPED_ATTRIBUTION = /^\s*(?:W dniu|On) .{4,200}$/i;
const ATTRIBUTION_END = /^\s*.{0,80}?(?:napisał|napisała|wrote)(?:\(a\))?\s*:\s*$/i;
/** Outlook's header block of the quoted mail: "Od: …" then "Wysłano:"/"Sent:"/"Data:" within a few lines. */
const OUTLOOK_FROM = /^\s*\*?(?:Od|From)\s*:\*?\s+\S/i;
const OUTLOOK_SENT = /^\s*\*?(?:Wysłano|Wysłane|Sent|Data|Date|Do|To)\s*:/i;
/** A forward is content the reporter passes on, not history: its header lines are kept. */
const FORWARD_MARKER = /^\s*-{2,}\s*(?:Forwarded message|Wiadomość przekazana dalej|Przekazana wiadomość)\s*-{2,}\s*$/i;
const SIGNATURE_DELIMITER = /^-- ?$/;
const MOBILE_SIGNATURE = /^\s*(?:Sent from my |Wysłane z (?:mojego )?|Wysłano z (?:mojego )?|Get Outlook for )/i;
const SIGN_OFF = /^\s*(?:Pozdrawiam|Z poważaniem|Pozdrowienia|Serdecznie pozdrawiam|Łączę pozdrowienia|Dziękuję|Dzięki|Best regards|Kind regards|Regards|Best|Thanks|Thank you|Cheers)[\s,.!]*$/i;
/** A sign-off is a signature only near the end: a few lines of name, title and phone after it. */
const SIGNATURE_MAX_LINES = 8;

/**
 * The text a reporter wrote in this mail: quoted history and signature removed. Linear in the
 * number of lines: "is everything from here on quoted?" and "where does quoted history start
 * after this sign-off?" are answered from tables built once, not by rescanning the rest of the
 * mail at every `>` line or "Dzięki" — a hostile mail of a million such lines would otherwise
 * hold the event loop for hours.
 */
export function stripQuotedAndSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const tail = new QuotedTail(lines);
  let inForward = false;
  let end = lines.length;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (FORWARD_MARKER.test(line)) inForward = true;
    if (inForward) continue;
    if (QUOTE_HEADERS.some((re) => re.test(line))) {
      end = i;
      break;
    }
    if (WRAPPED_ATTRIBUTION.test(line) && ATTRIBUTION_END.test(lines[i + 1] ?? '')) {
      end = i;
      break;
    }
    if (OUTLOOK_FROM.test(line) && lines.slice(i + 1, i + 5).some((next) => OUTLOOK_SENT.test(next))) {
      end = i;
      break;
    }
    if (QUOTED.test(line) && tail.allQuotedFrom(i)) {
      end = i;
      break;
    }
    if (SIGNATURE_DELIMITER.test(line) || MOBILE_SIGNATURE.test(line)) {
      end = i;
      break;
    }
    if (SIGN_OFF.test(line) && lines.length - i - 1 <= SIGNATURE_MAX_LINES + tail.quoteLinesAfter(i)) {
      end = i;
      break;
    }
  }
  // Inline ">" lines of an interleaved reply are quotes too.
  const kept = lines.slice(0, end).filter((line) => inForward || !QUOTED.test(line));
  // A separator line left just above a cut (Outlook's rule, an HTML <hr>) is not text.
  while (kept.length > 0 && /^[\s\-_=*]*$/.test(kept.at(-1) ?? '')) kept.pop();
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const QUOTED = /^\s*>/;

/** Facts about the lines after a given one, each table built once on first use. */
class QuotedTail {
  private quotedFrom: Uint8Array | undefined;
  private nextQuoteStart: Int32Array | undefined;

  constructor(private readonly lines: readonly string[]) {}

  /** Whether line `from` and every line after it is a `>` quote or blank. */
  allQuotedFrom(from: number): boolean {
    if (!this.quotedFrom) {
      const table = new Uint8Array(this.lines.length + 1);
      table[this.lines.length] = 1;
      for (let j = this.lines.length - 1; j >= 0; j -= 1) {
        const line = this.lines[j] ?? '';
        table[j] = table[j + 1] && (QUOTED.test(line) || line.trim() === '') ? 1 : 0;
      }
      this.quotedFrom = table;
    }
    return this.quotedFrom[from] === 1;
  }

  /** Lines after `from` that belong to quoted history (counted out of the signature budget). */
  quoteLinesAfter(from: number): number {
    if (!this.nextQuoteStart) {
      const table = new Int32Array(this.lines.length + 1);
      table[this.lines.length] = -1;
      for (let j = this.lines.length - 1; j >= 0; j -= 1) {
        const line = this.lines[j] ?? '';
        const starts = QUOTE_HEADERS.some((re) => re.test(line)) || WRAPPED_ATTRIBUTION.test(line) || OUTLOOK_FROM.test(line) || QUOTED.test(line);
        table[j] = starts ? j : (table[j + 1] ?? -1);
      }
      this.nextQuoteStart = table;
    }
    const start = this.nextQuoteStart[from + 1] ?? -1;
    return start === -1 ? 0 : this.lines.length - start;
  }
}

/** Compiled once from settings.mailboxes.serialPatterns / contractPatterns. */
export interface NumberPatterns {
  serial: readonly RegExp[];
  contract: readonly RegExp[];
}

/** Settings patterns → case-insensitive global regular expressions (one capture group each). */
export function compilePatterns(serialPatterns: readonly string[], contractPatterns: readonly string[]): NumberPatterns {
  const compile = (source: string) => new RegExp(source, 'gi');
  return { serial: serialPatterns.map(compile), contract: contractPatterns.map(compile) };
}

/** The numbers a mail reports; each absent when nothing fits. */
export interface ExtractedNumbers {
  serialNumber?: string;
  contractNumber?: string;
}

/** Whether the contract registry lists a serial (compared as the registry does: case, spaces and dashes ignored). */
export type KnownSerial = (serial: string) => boolean;

/** KnownSerial asking the registry as it is at each call (it reloads), on any contract. */
export function knownToRegistry(registry: () => ContractRegistry): KnownSerial {
  return (serial) => registry().findDeviceAnywhere(serial).length > 0;
}

/**
 * Serial and contract numbers from the subject, then from the body (already stripped of quoted
 * history). Request numbers (HZ-2026-000123) are taken out first so that a reply's tag is never
 * read as a contract, and candidates without a digit ("S/N: brak") are skipped. `knownSerial`
 * tells where a serial written with spaces ends (see `serialIn`).
 */
export function extractNumbers(subject: string, body: string, patterns: NumberPatterns, knownSerial?: KnownSerial): ExtractedNumbers {
  const texts = [subject, body].map((text) => collapseWhitespace(text.replace(REQUEST_NUMBER_IN_TEXT, ' ')));
  const contractNumber = firstMatch(texts, patterns.contract, normalizeContract);
  const serialNumber = firstMatch(texts, patterns.serial, (candidate) => {
    const serial = serialIn(candidate, knownSerial);
    return /^HZ\d{9}$/.test(serial.replace(/[-\s]/g, '')) ? undefined : serial;
  });
  return { ...(serialNumber ? { serialNumber } : {}), ...(contractNumber ? { contractNumber } : {}) };
}

/**
 * The serial in a pattern's capture. People copy a serial off the label with spaces where the
 * label has them ("Q48 24 07315", "XLS812 240517"), so the default pattern also takes the
 * groups with a digit that follow on the same line — which may be something else: "S/N
 * XLS812-240517 2 szt.". Which groups are the serial: the longest run from the first that the
 * registry knows; failing that (an unknown serial, or no registry), the writer's separators —
 * a first group with a dash inside is a whole serial (who writes dashes ends it with a space),
 * else all the groups are one serial. Spaces are kept, one between groups; every lookup ignores them.
 */
function serialIn(capture: string, knownSerial: KnownSerial | undefined): string {
  const groups = capture.trim().split(/\s+/);
  // A contract number straight after the serial ("S/N Q48 24 07315 HZ-2026-00123") is not part of it.
  const contract = groups.findIndex((group, at) => at > 0 && /^HZ[-\d]/i.test(group));
  if (contract > 0) groups.length = contract;
  const longestFirst = groups.map((_, at) => tidyCapturedSerial(groups.slice(0, groups.length - at).join(' ')));
  const known = knownSerial ? longestFirst.find((serial) => knownSerial(serial)) : undefined;
  if (known) return known;
  const first = groups[0] ?? '';
  return /[A-Z0-9]-[A-Z0-9]/i.test(first) ? tidyCapturedSerial(first) : (longestFirst[0] ?? '');
}

/**
 * Runs of whitespace → one space (or one line break, if the run had one). The patterns say
 * `\s*[:#]?\s*` between a label and its number, which a backtracking engine tries in O(n²)
 * over n spaces: "SN" and a megabyte of blanks would hold the event loop for minutes. Every
 * pattern reads `\s`, so one blank stands for many without changing what matches.
 */
function collapseWhitespace(text: string): string {
  return text.replace(/\s{2,}/g, (run) => (run.includes('\n') ? '\n' : ' '));
}

function firstMatch(texts: readonly string[], patterns: readonly RegExp[], normalize: (raw: string) => string | undefined): string | undefined {
  for (const text of texts) {
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const raw = match[1] ?? match[0];
        if (!/\d/.test(raw)) continue;
        const value = normalize(raw);
        if (value) return value;
      }
    }
  }
  return undefined;
}

/** `hz 2026 00123`, `HZ202600123` → `HZ-2026-00123` (the registry's spelling). */
export function normalizeContract(raw: string): string | undefined {
  const digits = raw.replace(/[^0-9]/g, '');
  if (!/^hz/i.test(raw.trim()) || digits.length !== 9) return raw.trim().toUpperCase() || undefined;
  return `HZ-${digits.slice(0, 4)}-${digits.slice(4)}`;
}

/**
 * A serial as captured from a mail, tidied for the request: upper case, no trailing punctuation
 * (`xls812-240517.` → `XLS812-240517`), its separators kept as written. Not a comparison key:
 * lookups compare by the registry's normalizeSerial (domain/contract-terms.ts).
 */
function tidyCapturedSerial(raw: string): string {
  return raw.trim().toUpperCase().replace(/[-.,;:]+$/, '');
}

/** Polish unless the text reads as English (the service desk's default language is Polish). */
export function detectLanguage(text: string): 'pl' | 'en' {
  if (/[ąćęłńóśźż]/i.test(text)) return 'pl';
  const english = (text.match(/\b(the|is|not|our|please|does|with|error|hello|hi|dear|we|have|am|away|office|serial|contract|details|drive|sent)\b/gi) ?? []).length;
  const polish = (text.match(/\b(nie|jest|się|dzień|dobry|proszę|umowa|umowy|urządzenie|mamy|awaria|raport|w|na|do)\b/gi) ?? []).length;
  return english > polish ? 'en' : 'pl';
}
