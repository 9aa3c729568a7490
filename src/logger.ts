/**
 * Structured logs with pino: one JSON line per event. Phone numbers and e-mail addresses are
 * personal data and never reach a log line in full (DESIGN.md section 7).
 */
import { findPhoneNumbersInText } from 'libphonenumber-js';
import pino from 'pino';

export type Logger = pino.Logger;

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/**
 * `jan.kowalski@firma.pl` → `j***@firma.pl`; `+48 600 100 200` → `***200`. Phone numbers are
 * found by libphonenumber-js (Polish default), which leaves dates and request numbers alone.
 */
export function maskPersonalData(text: string): string {
  let masked = text.replace(EMAIL, '$1***@$2');
  if (!/\d{3}/.test(masked.replace(/[\s()-]/g, ''))) return masked;
  const found = findPhoneNumbersInText(masked, 'PL');
  for (const match of found.reverse()) {
    const digits = masked.slice(match.startsAt, match.endsAt).replace(/\D/g, '');
    masked = `${masked.slice(0, match.startsAt)}***${digits.slice(-3)}${masked.slice(match.endsAt)}`;
  }
  return masked;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hezo-intake' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Masks every string argument, so a message or field cannot leak an address by accident.
        logMethod(args, method) {
          const masked = args.map((arg) => maskDeep(arg));
          return method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalData(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskDeep(inner, depth + 1)]));
}
