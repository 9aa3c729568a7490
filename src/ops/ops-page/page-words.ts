/**
 * The few English sentences the domain stores (deadline traces, assessment reasons) in the
 * ops page's other language. The domain writes them once, in English, for the API and the logs
 * (domain/deadlines.ts, domain/assessment.ts); a Polish page must not show "sent … → due …".
 * Rather than a second copy of those rules, the stored words are mapped: each pattern below is
 * one sentence shape the domain writes, and anything unknown stays as stored (English beats a
 * wrong translation). Pure.
 */
export type PageLanguage = 'pl' | 'en';

const WEEKDAYS_PL: Record<string, string> = { Mon: 'pon.', Tue: 'wt.', Wed: 'śr.', Thu: 'czw.', Fri: 'pt.', Sat: 'sob.', Sun: 'niedz.' };
const MONTHS_PL: Record<string, string> = {
  Jan: 'sty',
  Feb: 'lut',
  Mar: 'mar',
  Apr: 'kwi',
  May: 'maj',
  Jun: 'cze',
  Jul: 'lip',
  Aug: 'sie',
  Sep: 'wrz',
  Oct: 'paź',
  Nov: 'lis',
  Dec: 'gru',
};

/** Whole words of traces, longest first so that "extra closures" wins over "closures". */
const TRACE_WORDS_PL: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bcalendar days\b/g, 'dni kalendarzowych'],
  [/\bnext business day\b/g, 'następny dzień roboczy'],
  [/\bextra closures\b/g, 'dodatkowe dni wolne'],
  [/\bholidays\b/g, 'święta'],
  [/\bh elapsed: DST change\b/g, 'h upływu: zmiana czasu'],
  [/\belapsed\b/g, 'upływu'],
  [/\bclosed:/g, 'nieczynne:'],
  [/^sent\b/g, 'wysłano'],
  [/^verified\b/g, 'zweryfikowano'],
  [/^delivered\b/g, 'dostarczono'],
  [/\bdue\b/g, 'termin'],
  [/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/g, ''],
  [/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b/g, ''],
];

/**
 * A deadline trace in the page's language, e.g. `sent Fri 2026-11-20 16:55 → 5 min Fri + 55 min
 * Mon → due Mon 2026-11-23 09:55 (closed: Sat–Sun 21–22 Nov)` becomes `wysłano pt. 2026-11-20
 * 16:55 → 5 min pt. + 55 min pon. → termin pon. 2026-11-23 09:55 (nieczynne: sob.–niedz. 21–22 lis)`.
 */
export function traceIn(trace: string, language: PageLanguage): string {
  if (language === 'en') return trace;
  let text = trace;
  for (const [pattern, words] of TRACE_WORDS_PL) {
    text = text.replace(pattern, (match: string) => WEEKDAYS_PL[match] ?? MONTHS_PL[match] ?? words);
  }
  return text;
}

/** The assessment's reasons (domain/assessment.ts), sentence by sentence. */
const REASONS_PL: ReadonlyArray<readonly [RegExp, (...groups: string[]) => string]> = [
  [/^Contract "(.*)" is not in the registry\.$/s, (contract) => `Umowy „${contract}” nie ma w rejestrze.`],
  [/^Serial number "(.*)" is not covered by contract (\S+)\.$/s, (serial, contract) => `Numer seryjny „${serial}” nie jest objęty umową ${contract}.`],
  [
    /^Missing (the serial number|the contract number)(?: and (the serial number|the contract number))?; both are required to accept a report\.$/,
    (first, second) =>
      `Brak ${[first, second]
        .filter((m): m is string => Boolean(m))
        .map((m) => (m === 'the serial number' ? 'numeru seryjnego' : 'numeru umowy'))
        .join(' i ')}; oba są wymagane do przyjęcia zgłoszenia.`,
  ],
  [
    /^Contract (\S+) expired on (\S+); renewal after the deadline may carry a reactivation fee\.$/,
    (contract, date) => `Umowa ${contract} wygasła ${date}; odnowienie po terminie może wiązać się z opłatą reaktywacyjną.`,
  ],
  [/^Contract (\S+) is valid only from (\S+)\.$/, (contract, date) => `Umowa ${contract} obowiązuje dopiero od ${date}.`],
  [
    /^The reporter is not an authorized representative of contract (\S+); an engineer must confirm them before the clock starts\.$/,
    (contract) => `Zgłaszający nie jest upoważnionym przedstawicielem umowy ${contract}; inżynier musi go potwierdzić, zanim ruszy zegar.`,
  ],
];

/** Why a request is not accepted, in the page's language (unknown sentences as stored). */
export function reasonIn(reason: string, language: PageLanguage): string {
  if (language === 'en') return reason;
  for (const [pattern, say] of REASONS_PL) {
    const match = pattern.exec(reason);
    if (match) return say(...match.slice(1).map((group) => group ?? ''));
  }
  return reason;
}

/** A text in both page languages: the browser switches language without asking the server again. */
export interface Bilingual {
  pl: string;
  en: string;
}

export function bilingualTrace(trace: string): Bilingual {
  return { pl: traceIn(trace, 'pl'), en: trace };
}

export function bilingualReason(reason: string): Bilingual {
  return { pl: reasonIn(reason, 'pl'), en: reason };
}
