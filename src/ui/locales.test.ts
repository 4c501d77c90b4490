import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../../public/_locales/en/messages.json';
import zh from '../../public/_locales/zh_CN/messages.json';
import operators from '../../data/flagged/operators.json';
import manifest from '../../manifest.json';
import { lookupFromMessages } from './i18n.ts';

// Keeps the translations complete and the components free of hard-coded
// text: every key in both languages with the same placeholders, the English
// "why flagged" texts equal to the curated list, and no raw text in JSX.

type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;
const ROOT = join(import.meta.dirname, '..', '..');

function placeholdersOf(messages: Messages, key: string): string[] {
  return Object.keys(messages[key]?.placeholders ?? {}).sort();
}

function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => ext.test(f) && !/\.test\.tsx?$/.test(f))
    .map((f) => join(dir, f));
}

describe('locales', () => {
  it('en and zh_CN have the same keys with the same placeholders', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) expect(placeholdersOf(zh as Messages, key), key).toEqual(placeholdersOf(en as Messages, key));
  });

  it('every $NAME$ in a message is a defined placeholder, in both languages', () => {
    for (const messages of [en, zh] as Messages[]) {
      for (const [key, entry] of Object.entries(messages)) {
        const used = [...entry.message.matchAll(/\$([A-Za-z0-9_]+)\$/g)].map((m) => m[1]!.toLowerCase());
        for (const name of used) expect(Object.keys(entry.placeholders ?? {}), `${key}: $${name}$`).toContain(name);
        expect(entry.message.trim(), key).not.toBe('');
      }
    }
  });

  it('every key the code uses exists (t() is typed; this catches keys built from strings)', () => {
    const used = new Set<string>();
    for (const file of [...sourceFiles(join(ROOT, 'src'), /\.(ts|tsx)$/)]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([A-Za-z0-9_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    for (const key of used) expect(en, key).toHaveProperty(key);
  });

  it('the manifest names only messages that exist', () => {
    const refs = [...JSON.stringify(manifest).matchAll(/__MSG_([A-Za-z0-9_@]+)__/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const key of refs) expect(en, key).toHaveProperty(key);
    expect(manifest.default_locale).toBe('en');
  });

  it('the English "why flagged" texts are the curated list\'s, word for word', () => {
    const get = lookupFromMessages(en);
    const keys: Record<string, string> = { 'china-mobile': 'whyChinaMobile', 'china-telecom': 'whyChinaTelecom', 'china-unicom': 'whyChinaUnicom' };
    for (const op of operators) expect(get(keys[op.id]!), op.id).toBe(op.why);
  });

  it('substitutes placeholders the way the browsers do', () => {
    const get = lookupFromMessages({ a: { message: 'x $ONE$ y $TWO$ $$5', placeholders: { one: { content: '$1' }, two: { content: '<$2>' } } } });
    expect(get('a', ['1', '2'])).toBe('x 1 y <2> $5');
    expect(get('missing')).toBe('');
  });
});

describe('components have no hard-coded user-facing text', () => {
  const files = [...sourceFiles(join(ROOT, 'src', 'popup'), /\.tsx$/), ...sourceFiles(join(ROOT, 'src', 'options'), /\.tsx$/), ...sourceFiles(join(ROOT, 'src', 'blocked'), /\.tsx$/)];

  it('finds the components', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    it(file.slice(ROOT.length + 1), () => {
      // Comments out; a generic's "<T>(" is a type, not a tag.
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
      // Text right after a JSX tag (<tag …>, </tag> or />) up to the next "<" or "{": a letter there is raw JSX text.
      const rawText = [...source.matchAll(/(?:<[a-z][\w.-]*(?:\s[^<>]*)?>|<\/[\w.]*>|\/>)(?!\()([^<>{}]*\p{L}[^<>{}]*)</gu)]
        .map((m) => m[1]!.trim())
        .filter((text) => text !== '');
      expect(rawText, 'raw text in JSX; use t()').toEqual([]);
      // Labels read out by screen readers or shown as hints must come from t() too.
      const rawAttributes = [...source.matchAll(/\b(aria-label|title|placeholder|alt)="([^"]*\p{L}[^"]*)"/gu)].map((m) => m[0]);
      expect(rawAttributes, 'hard-coded attribute text; use t()').toEqual([]);
    });
  }
});
