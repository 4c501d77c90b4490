import type enMessages from '../../public/_locales/en/messages.json';

// Every user-facing string goes through t(), which reads _locales through
// the browser's i18n API. Keys are typed from the English file, so a typo is
// a compile error and a missing translation is a failing unit test
// (src/ui/locales.test.ts). Tests swap in a lookup built from the JSON.

export type MessageKey = keyof typeof enMessages;

/** The browser's getMessage: substitutions in, "" for an unknown key. */
export type MessageLookup = (key: string, substitutions?: string[]) => string;

interface I18nGlobal {
  browser?: { i18n?: { getMessage: MessageLookup; getUILanguage(): string } };
  chrome?: { i18n?: { getMessage: MessageLookup; getUILanguage(): string } };
}

function browserI18n(): { getMessage: MessageLookup; getUILanguage(): string } | undefined {
  const g = globalThis as unknown as I18nGlobal;
  return g.browser?.i18n ?? g.chrome?.i18n;
}

let lookup: MessageLookup | undefined;
let language: string | undefined;
/** Each message asked for once, with markers where substitutions go: a popup with 1,000 rows calls t() ~8,000 times. */
const templates = new Map<string, string>();

/** For tests (and any page without the extension API): where messages come from. */
export function setMessageLookup(next: MessageLookup | undefined, uiLanguage?: string): void {
  lookup = next;
  language = uiLanguage;
  templates.clear();
}

// Private-use characters no message contains: U+E000 then U+E001.. for $1..$9.
const MARKERS = Array.from({ length: 9 }, (_, i) => `\uE000${String.fromCharCode(0xe001 + i)}`);
const MARKER_PATTERN = /\uE000([\uE001-\uE009])/g;

export function t(key: MessageKey, ...substitutions: Array<string | number>): string {
  let template = templates.get(key);
  if (template === undefined) {
    const i18n = browserI18n();
    const get = lookup ?? (i18n ? (k: string, subs?: string[]) => i18n.getMessage(k, subs) : undefined);
    template = get ? get(key, MARKERS) : '';
    templates.set(key, template);
  }
  // A missing message shows its key rather than nothing, so it gets noticed.
  if (template === '') return key;
  if (substitutions.length === 0 && !template.includes('\uE000')) return template;
  return template.replace(MARKER_PATTERN, (_, marker: string) => String(substitutions[marker.charCodeAt(0) - 0xe001] ?? ''));
}

/** The browser's UI language (e.g. "en-US", "zh-CN"), for dates, numbers and lists. */
export function uiLanguage(): string {
  return language ?? browserI18n()?.getUILanguage() ?? 'en';
}

interface MessageEntry {
  message: string;
  placeholders?: Record<string, { content: string }>;
}

/**
 * getMessage as Chrome and Firefox implement it, over a parsed messages.json:
 * $NAME$ takes its placeholder's content, in which $1..$9 are substitutions
 * and $$ is a dollar sign.
 */
export function lookupFromMessages(messages: Record<string, MessageEntry>): MessageLookup {
  const fill = (text: string, subs: string[]): string =>
    text.replace(/\$(\$|[1-9])/g, (_, d: string) => (d === '$' ? '$' : (subs[Number(d) - 1] ?? '')));
  return (key, substitutions = []) => {
    const entry = messages[key];
    if (!entry) return '';
    const placeholders = Object.fromEntries(Object.entries(entry.placeholders ?? {}).map(([k, v]) => [k.toLowerCase(), v.content]));
    const named = entry.message.replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name: string) => {
      const content = placeholders[name.toLowerCase()];
      return content === undefined ? whole : fill(content, substitutions);
    });
    return named.replace(/\$\$/g, '$');
  };
}
