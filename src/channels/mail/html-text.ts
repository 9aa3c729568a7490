/**
 * Text of an HTML-only mail. mailparser's own conversion runs table cells together
 * ("S/N:Q80-25-00412Numer umowy:…", and a serial read as "Q80-25-00412NUMER") and skips an
 * HTML body that is not the root part; this one puts every cell, row and block on its own
 * line, which is what number extraction needs. Tags are dropped, never interpreted.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function htmlToPlainText(html: string): string {
  return (
    html
      .replace(/<(script|style|head|title)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<hr\b[^>]*>/gi, '\n________________________________\n')
      .replace(/<\/(td|th)\s*>/gi, ' \t')
      .replace(/<\/?(p|div|tr|li|ul|ol|table|h[1-6]|blockquote|section|article|header|footer)\b[^>]*>/gi, '\n')
      .replace(/<[^>]*>/g, '')
      .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
        if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
        if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
        return ENTITIES[name.toLowerCase()] ?? entity;
      })
      .replace(/[ \t\u00a0]+/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
