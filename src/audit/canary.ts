import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { CanaryEncoding, CanaryLeak } from './report-types.ts';

// `--interact` answers the question the chatbot finding raised: does the
// page send what a visitor types (before any submit) somewhere? It types
// made-up values no real request could contain by chance, then searches
// every request for them as scripts send such values: as typed, URL- or
// form-encoded, base64 (also inside a longer base64 text, e.g. a JSON
// payload encoded whole), or hashed, since "one-click login" and ad SDKs
// hash phone numbers and e-mail addresses (SHA-256, MD5) to match them
// server-side. A phone number is also searched in the forms SDKs normalize
// it to: digits only, and the local number without the country code.
// Random parts change per run, so a report never matches an old one's values.

export type CanaryName = 'email' | 'phone' | 'password';

export interface CanaryForm {
  encoding: CanaryEncoding;
  text: string;
  /** In words, for the report: "SHA-256 hex (upper case) of the local number". */
  description: string;
}

/** The values typed into the inputs, by kind of field. */
export type CanaryValues = Readonly<Record<CanaryName, string>>;

/** A canary with every text that betrays it. */
export interface Canary {
  name: CanaryName;
  /** What is typed into the inputs. */
  value: string;
  /** Every text that betrays the value, longest first. */
  forms: CanaryForm[];
}

export const CANARY_NAMES: readonly CanaryName[] = ['email', 'phone', 'password'];

/** Test seam: where the random parts come from. */
export interface CanaryRandom {
  hex(length: number): string;
  digits(length: number): string;
}

const CRYPTO_RANDOM: CanaryRandom = {
  hex: (length) => randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length),
  digits: (length) => Array.from({ length }, () => String(randomInt(10))).join(''),
};

/** China's mobile numbers are 11 digits starting 1[3-9]; 138 is China Mobile's oldest prefix, the kind of number a CMPassport gateway would see. */
const PHONE_COUNTRY = '86';
const PHONE_PREFIX = '138';

export function makeCanaries(random: CanaryRandom = CRYPTO_RANDOM): CanaryValues {
  return Object.freeze({
    email: `cw-canary-${random.hex(10)}@example.com`,
    phone: `+${PHONE_COUNTRY}${PHONE_PREFIX}${random.digits(8)}`,
    password: `CwCanary-${random.hex(8)}!`,
  });
}

/** This run's canaries: what `--interact` types, and what the leak search looks for. */
export const CANARIES: CanaryValues = makeCanaries();

const prepared = new WeakMap<CanaryValues, Canary[]>();

/** The canaries with their forms, in a fixed order (e-mail, phone, password); computed once per set of values. */
export function prepareCanaries(values: CanaryValues): Canary[] {
  let list = prepared.get(values);
  if (list === undefined) {
    list = CANARY_NAMES.map((name) => ({ name, value: values[name], forms: sortForms(formsOfCanary(name, values[name])) }));
    prepared.set(values, list);
  }
  return list;
}

/** A phone number is also searched as SDKs normalize it: digits only, and the local number without the country code. */
function formsOfCanary(name: CanaryName, value: string): CanaryForm[] {
  if (name !== 'phone') return canaryForms(value);
  const digits = value.replace(/\D/g, '');
  const local = digits.startsWith(PHONE_COUNTRY) && digits.length === PHONE_COUNTRY.length + 11 ? digits.slice(PHONE_COUNTRY.length) : digits;
  return [...canaryForms(value), ...canaryForms(digits, 'the digits only'), ...canaryForms(local, 'the local number')];
}

/**
 * Every form of `value` the search looks for, each text once (the first
 * description wins): plain; URL-encoded as encodeURIComponent writes it
 * ("%40", "%2B") and as a form posts it ("+" for a space, "%21"), in
 * either hex case; base64, standard and URL-safe, with and without
 * padding, and the parts of it that survive inside a longer base64 text;
 * SHA-256 and MD5 as hex (lower and upper case) and base64.
 */
export function canaryForms(value: string, of = 'the value'): CanaryForm[] {
  const forms: CanaryForm[] = [];
  const seen = new Set<string>();
  const add = (encoding: CanaryEncoding, text: string, what: string) => {
    if (text.length === 0 || seen.has(text)) return;
    seen.add(text);
    forms.push({ encoding, text, description: `${what} of ${of}` });
  };

  add('plain', value, 'as typed');
  const component = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  add('url-encoded', component, 'URL-encoded');
  add('url-encoded', form, 'form-encoded');
  add('url-encoded', lowerHex(component), 'URL-encoded (lower-case hex)');
  add('url-encoded', lowerHex(form), 'form-encoded (lower-case hex)');

  const bytes = Buffer.from(value, 'utf8');
  const standard = bytes.toString('base64');
  const urlSafe = bytes.toString('base64url');
  add('base64', standard, 'base64');
  add('base64', standard.replace(/=+$/, ''), 'base64 without padding');
  add('base64', `${urlSafe}${'='.repeat(standard.length - standard.replace(/=+$/, '').length)}`, 'URL-safe base64');
  add('base64', urlSafe, 'URL-safe base64 without padding');
  for (const shift of [0, 1, 2]) {
    const core = base64Core(bytes, shift);
    add('base64', core, 'base64 inside a longer base64 text');
    add('base64', toUrlSafe(core), 'URL-safe base64 inside a longer base64 text');
  }

  for (const [encoding, algorithm, name] of [
    ['sha256', 'sha256', 'SHA-256'],
    ['md5', 'md5', 'MD5'],
  ] as const) {
    const digest = createHash(algorithm).update(bytes).digest();
    const hex = digest.toString('hex');
    add(encoding, hex, `${name} hex (lower case)`);
    add(encoding, hex.toUpperCase(), `${name} hex (upper case)`);
    add(encoding, digest.toString('base64'), `${name} base64`);
    add(encoding, digest.toString('base64url'), `${name} URL-safe base64`);
  }
  return forms;
}

export interface CanaryRequest {
  url: string;
  host: string;
  /** The request body as text (POST data, a beacon, a WebSocket frame sent), or null when it had none. */
  body: string | null;
}

const ENCODING_ORDER: readonly CanaryEncoding[] = ['plain', 'url-encoded', 'base64', 'sha256', 'md5'];

/**
 * The canaries `request` carries, in its URL and in its body: one leak per
 * canary, place and encoding, named by the longest form found. A form
 * found only inside a longer one ("8613812345678" inside
 * "%2B8613812345678") is the same leak and not listed again. A text
 * percent-encoded twice, or a form-encoded JSON, is searched decoded too
 * and reported as "url-encoded".
 */
export function findCanaryLeaks(request: CanaryRequest, canaries: CanaryValues | readonly Canary[], isFlagged: (host: string) => boolean): CanaryLeak[] {
  const list = Array.isArray(canaries) ? (canaries as readonly Canary[]) : prepareCanaries(canaries as CanaryValues);
  const leaks: CanaryLeak[] = [];
  let flagged: boolean | undefined;
  for (const canary of list) {
    for (const where of ['url', 'body'] as const) {
      const text = where === 'url' ? request.url : request.body;
      if (text === null || text === '') continue;
      const found = new Map<CanaryEncoding, string>();
      for (const [encoding, form] of formsIn(text, canary.forms)) if (!found.has(encoding)) found.set(encoding, form.description);
      const decoded = percentDecode(text);
      if (decoded !== text) {
        for (const [encoding, form] of formsIn(decoded, canary.forms)) {
          const as: CanaryEncoding = encoding === 'plain' ? 'url-encoded' : encoding;
          if (!found.has(as)) found.set(as, `${form.description}, percent-encoded`);
        }
      }
      for (const encoding of ENCODING_ORDER) {
        const form = found.get(encoding);
        if (form === undefined) continue;
        flagged ??= isFlagged(request.host);
        leaks.push({ canary: canary.name, host: request.host, requestUrl: request.url, encoding, where, flagged, form });
      }
    }
  }
  return leaks;
}

/**
 * Which canary to type into a field, from what the page says about it:
 * its type, autocomplete, inputmode, name, id, placeholder and label. A
 * field that asks for none of the three gets the e-mail address (the
 * value a login form most often takes in a plain text box).
 */
export interface FieldHints {
  type?: string | null;
  autocomplete?: string | null;
  inputMode?: string | null;
  name?: string | null;
  id?: string | null;
  placeholder?: string | null;
  label?: string | null;
}

export function pickCanary(field: FieldHints): CanaryName {
  const type = (field.type ?? '').toLowerCase();
  const autocomplete = (field.autocomplete ?? '').toLowerCase();
  if (type === 'password' || /\b(current|new)-password\b/.test(autocomplete)) return 'password';
  if (type === 'tel' || /\btel\b/.test(autocomplete) || (field.inputMode ?? '').toLowerCase() === 'tel') return 'phone';
  if (type === 'email' || /\bemail\b/.test(autocomplete)) return 'email';
  const words = [field.name, field.id, field.placeholder, field.label].filter(Boolean).join(' ').toLowerCase();
  if (/pass(word)?|pwd|密码/.test(words)) return 'password';
  if (/phone|mobile|tel\b|msisdn|cell|手机|电话|号码/.test(words)) return 'phone';
  return 'email';
}

/** Forms found in `text`, longest first, leaving out matches that lie inside a longer form's match. */
function formsIn(text: string, forms: readonly CanaryForm[]): Array<[CanaryEncoding, CanaryForm]> {
  const spans: Array<[number, number]> = [];
  const out: Array<[CanaryEncoding, CanaryForm]> = [];
  for (const form of forms) {
    let kept = false;
    for (let at = text.indexOf(form.text); at !== -1; at = text.indexOf(form.text, at + 1)) {
      const end = at + form.text.length;
      if (spans.some(([s, e]) => s <= at && end <= e)) continue;
      spans.push([at, end]);
      kept = true;
    }
    if (kept) out.push([form.encoding, form]);
  }
  return out;
}

/** Longest first, so the most specific form names a leak (see formsIn). Stable for equal lengths. */
function sortForms(forms: CanaryForm[]): CanaryForm[] {
  const seen = new Set<string>();
  return forms
    .filter((f) => (seen.has(f.text) ? false : (seen.add(f.text), true)))
    .map((f, i) => [f, i] as const)
    .sort((a, b) => b[0].text.length - a[0].text.length || a[1] - b[1])
    .map(([f]) => f);
}

/**
 * The characters of base64 that depend on `bytes` alone when they sit
 * `shift` bytes into a longer text (0, 1 or 2 modulo 3): what an encoded
 * JSON payload holding the value contains whatever surrounds it.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const from = Math.ceil((shift * 8) / 6);
  const to = Math.floor(((shift + bytes.length) * 8) / 6);
  return encoded.slice(from, to);
}

function toUrlSafe(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (s) => s.toLowerCase());
}

/** Decodes runs of %XX wherever they are valid UTF-8, leaving the rest as is (a "+" stays: it may be the phone number's). */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
