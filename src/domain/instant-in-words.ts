/**
 * An instant said in words, in Warsaw time, as the acknowledgments, the alerts and the IVR's
 * closing say a deadline or the start of a clock. Pure: one wording for every channel.
 *
 * Polish day names are kept here rather than taken from Intl: a deadline needs the accusative
 * ("w środę", "w sobotę"), which ICU does not provide, and the tables keep the wording the same
 * on a Node built with small ICU.
 */
import { DateTime } from 'luxon';
import { IntakeError } from '../errors.js';
import { warsawClock, type WarsawClock } from './warsaw-time.js';

export type Language = 'pl' | 'en';

const ZONE = 'Europe/Warsaw';
const PL_WEEKDAYS_ACCUSATIVE = ['poniedziałek', 'wtorek', 'środę', 'czwartek', 'piątek', 'sobotę', 'niedzielę'];
const PL_WEEKDAYS_SHORT = ['pon.', 'wt.', 'śr.', 'czw.', 'pt.', 'sob.', 'ndz.'];
const PL_MONTHS_GENITIVE = ['stycznia', 'lutego', 'marca', 'kwietnia', 'maja', 'czerwca', 'lipca', 'sierpnia', 'września', 'października', 'listopada', 'grudnia'];
const EN_WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * An instant in words, relative to `now`, in Warsaw time: "dziś do 10:30", "jutro do 09:30",
 * "w poniedziałek 28 grudnia do 09:30" / "today by 10:30", "on Monday 28 December by 09:30".
 * `style: 'at'` says when something starts ("jutro o 09:00", "tomorrow at 09:00"). Day words
 * follow the Warsaw calendar day, so 23:50 → 00:30 is "jutro" even though 40 minutes apart.
 */
export function instantInWords(iso: string, language: Language, now: number, style: 'by' | 'at' = 'by'): string {
  // Warsaw wall-clock parts without luxon: this runs on every closing of a call (a caller is
  // waiting for the webhook's answer), and luxon took ~170 µs for it.
  const at = warsawClock(Date.parse(iso));
  const today = warsawClock(now);
  const dayOf = (c: WarsawClock): number => Date.UTC(c.year, c.month - 1, c.day);
  const days = Math.round((dayOf(at) - dayOf(today)) / 86_400_000);
  const time = `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`;
  // 0 = Monday, as the weekday tables are.
  const weekday = (new Date(dayOf(at)).getUTCDay() + 6) % 7;
  const year = at.year === today.year ? '' : ` ${at.year}`;
  if (language === 'pl') {
    const word = style === 'by' ? 'do' : 'o';
    if (days === 0) return `dziś ${word} ${time}`;
    if (days === 1) return `jutro ${word} ${time}`;
    const preposition = weekday === 1 ? 'we' : 'w';
    return `${preposition} ${PL_WEEKDAYS_ACCUSATIVE[weekday]} ${at.day} ${PL_MONTHS_GENITIVE[at.month - 1]}${year} ${word} ${time}`;
  }
  const word = style === 'by' ? 'by' : 'at';
  if (days === 0) return `today ${word} ${time}`;
  if (days === 1) return `tomorrow ${word} ${time}`;
  return `on ${EN_WEEKDAYS[weekday]} ${at.day} ${EN_MONTHS[at.month - 1]}${year} ${word} ${time}`;
}

/** "dziś do 10:30", "jutro do 09:30", "pon. 28.12 do 09:30" / "Mon 28 Dec by 09:30": SMS-sized. */
export function shortInstantInWords(iso: string, language: Language, now: number): string {
  const at = warsawInstant(iso);
  const days = Math.round(at.startOf('day').diff(DateTime.fromMillis(now, { zone: ZONE }).startOf('day'), 'days').days);
  if (days === 0 || days === 1) return instantInWords(iso, language, now);
  const time = at.toFormat('HH:mm');
  if (language === 'pl') return `${PL_WEEKDAYS_SHORT[at.weekday - 1]} ${at.toFormat('d.MM')} do ${time}`;
  return `${EN_WEEKDAYS[at.weekday - 1]?.slice(0, 3)} ${at.day} ${EN_MONTHS[at.month - 1]?.slice(0, 3)} by ${time}`;
}

/** An ISO instant in Warsaw time; IntakeError INSTANT_INVALID when it is not one. */
export function warsawInstant(iso: string): DateTime {
  const at = DateTime.fromISO(iso, { setZone: true });
  if (!at.isValid) throw new IntakeError('INSTANT_INVALID', `Not an ISO-8601 instant: "${iso}".`);
  return at.setZone(ZONE);
}
