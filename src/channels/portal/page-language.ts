/**
 * The language of a portal page: `?lang=pl|en` when given (the switch link on every page),
 * else the first of Polish and English the browser's Accept-Language prefers (by q-value),
 * else Polish — the service desk's language. Pure.
 */
import type { Language } from '../../domain/instant-in-words.js';

export function pageLanguage(query: unknown, acceptLanguage: string | undefined): Language {
  if (query === 'pl' || query === 'en') return query;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.map((param) => /^\s*q=([\d.]+)\s*$/.exec(param)?.[1]).find(Boolean) ?? 1);
      return { primary: tag.split('-')[0] ?? '', q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((entry) => entry.q > 0 && (entry.primary === 'pl' || entry.primary === 'en'))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return (ranked[0]?.primary as Language | undefined) ?? 'pl';
}
