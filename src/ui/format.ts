import { uiLanguage } from './i18n.ts';

// Dates, numbers and lists in the browser's language. Formatters are built
// once per language: a popup with 1,000 rows formats 2,000 times.

const cache = new Map<string, { time: Intl.DateTimeFormat; dateTime: Intl.DateTimeFormat; list: Intl.ListFormat; number: Intl.NumberFormat }>();

function formatters() {
  const lang = uiLanguage();
  let f = cache.get(lang);
  if (!f) {
    f = {
      time: new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
      dateTime: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }),
      list: new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }),
      number: new Intl.NumberFormat(lang),
    };
    cache.set(lang, f);
  }
  return f;
}

/** "14:03:07": when, within a page view. */
export function formatTime(ms: number): string {
  return formatters().time.format(ms);
}

/** "21 Nov 2026, 14:03": when, across visits. */
export function formatDateTime(ms: number): string {
  return formatters().dateTime.format(ms);
}

/** "A, B and C" / "A、B和C". */
export function formatList(items: string[]): string {
  return formatters().list.format(items);
}

export function formatNumber(n: number): string {
  return formatters().number.format(n);
}

/** ISO 8601 in UTC, for exports: unambiguous for whoever reads the file. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
