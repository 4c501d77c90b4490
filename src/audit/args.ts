import { parse as parseDomain } from 'tldts';
import { classifierOptions, parseSettings } from '../engine/settings.ts';
import type { ClassifierOptions } from '../engine/classifier.ts';

// The audit runs unattended in CI, where a typo must fail loudly and at
// once, not after twenty pages loaded: every argument and every line of a
// URL file is checked before the browser starts, and every problem is
// named together, with the file and line it is on. Parsing is pure; the
// files are read through a reader the caller passes, so tests need no disk.

export const DEFAULT_OUT_DIR = './carrier-watch-audit/';
export const DEFAULT_TIMEOUT_SECONDS = 30;
export const MAX_TIMEOUT_SECONDS = 3600;
export const MAX_CONCURRENCY = 16;

export const AUDIT_USAGE = `usage: carrier-watch audit [options] <url | file of URLs> ...

Loads each page in headless Chromium and reports every request to a network
run by a flagged operator (China Mobile, China Telecom, China Unicom), the
script line behind it, flagged domains written in the page's scripts, and
(with --interact) what the page sends of what a visitor types.

A URL is http(s); a bare host (example.com) means https://example.com/.
A file lists one URL per line; blank lines and lines starting with # are skipped.

options:
  --out <dir>            where report.json, report.html and junit.xml go
                         (default ${DEFAULT_OUT_DIR})
  --json                 print report.json on stdout instead of the summary
  --interact             type canary values (e-mail, phone, password) into every
                         input, never submitting, and report requests carrying them
  --concurrency <n>      pages audited at once, 1 to ${MAX_CONCURRENCY} (default 1)
  --timeout <seconds>    per page (default ${DEFAULT_TIMEOUT_SECONDS})
  --settings <file>      a Carrier Watch settings file (as the options page exports
                         it): its operators, threshold and own entries apply
  --browser <path>       the Chromium or Chrome to run (default: $CHROME_PATH,
                         then the usual system paths)
  --browser-arg <flag>   pass a flag to the browser; repeatable, e.g.
                         --browser-arg=--proxy-server=http://127.0.0.1:8080
  --help                 show this help

exit codes: 0 nothing flagged; 1 a flagged contact, latent reference or canary
leak found; 2 a page could not be audited, or a usage error.`;

export interface AuditOptions {
  /** As given: URLs, bare hosts or files of URLs; `expandInputs` turns them into URLs. */
  inputs: string[];
  /** --browser; null: $CHROME_PATH, then the system paths. */
  browser: string | null;
  browserArgs: string[];
  outDir: string;
  json: boolean;
  interact: boolean;
  concurrency: number;
  timeoutMs: number;
  /** --settings: the file to read; `parseAuditSettings` reads its text. */
  settingsFile: string | null;
  help: boolean;
}

export type ArgsResult = { ok: true; options: AuditOptions } | { ok: false; error: string };

const VALUE_OPTIONS = new Set(['--browser', '--browser-arg', '--out', '--concurrency', '--timeout', '--settings']);
const FLAG_OPTIONS = new Set(['--json', '--interact', '--help', '-h']);

export function parseAuditArgs(argv: readonly string[]): ArgsResult {
  const options: AuditOptions = {
    inputs: [],
    browser: null,
    browserArgs: [],
    outDir: DEFAULT_OUT_DIR,
    json: false,
    interact: false,
    concurrency: 1,
    timeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000,
    settingsFile: null,
    help: false,
  };
  const errors: string[] = [];
  const seen = new Set<string>();
  let positionalOnly = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (positionalOnly || !arg.startsWith('-') || arg === '-') {
      options.inputs.push(arg);
      continue;
    }
    if (arg === '--') {
      positionalOnly = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (FLAG_OPTIONS.has(name)) {
      if (name !== arg) errors.push(`${name} takes no value (got "${arg}")`);
      else if (name === '--json') options.json = true;
      else if (name === '--interact') options.interact = true;
      else options.help = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) {
      errors.push(`unknown option ${name}`);
      continue;
    }
    let value: string;
    if (name !== arg) {
      value = arg.slice(eq + 1);
    } else {
      // The next argument is the value even when it starts with "-": "--browser-arg --proxy-server=…" is the point.
      const next = argv[i + 1];
      if (next === undefined) {
        errors.push(`${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    if (name !== '--browser-arg' && seen.has(name)) errors.push(`${name} is given more than once`);
    seen.add(name);
    switch (name) {
      case '--browser':
        if (value.trim() === '') errors.push('--browser needs a path');
        else options.browser = value;
        break;
      case '--browser-arg':
        if (value.trim() === '') errors.push('--browser-arg needs a flag');
        else options.browserArgs.push(value);
        break;
      case '--out':
        if (value.trim() === '') errors.push('--out needs a folder');
        else options.outDir = value;
        break;
      case '--settings':
        if (value.trim() === '') errors.push('--settings needs a file');
        else options.settingsFile = value;
        break;
      case '--concurrency': {
        const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) errors.push(`--concurrency "${value}" must be a whole number from 1 to ${MAX_CONCURRENCY}`);
        else options.concurrency = n;
        break;
      }
      case '--timeout': {
        const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : NaN;
        if (!(seconds > 0) || seconds > MAX_TIMEOUT_SECONDS) errors.push(`--timeout "${value}" must be a number of seconds above 0, at most ${MAX_TIMEOUT_SECONDS}`);
        else options.timeoutMs = Math.round(seconds * 1000);
        break;
      }
    }
  }

  if (options.help) return { ok: true, options };
  if (options.inputs.length === 0 && errors.length === 0) errors.push('no URL to audit: give one or more URLs, or a file of URLs');
  if (errors.length > 0) return { ok: false, error: errors.join('\n') };
  return { ok: true, options };
}

/**
 * Reads a file of URLs: its text, or null when there is no such file.
 * Any other failure (a folder, no permission) throws, and its message is
 * reported.
 */
export type InputReader = (path: string) => string | null;

export type InputsResult = { ok: true; urls: string[] } | { ok: false; error: string };

/** A scheme before "://", or one like "javascript:" / "data:" (but not "localhost:8080"). */
const SCHEME_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
const OTHER_SCHEME = /^([a-z][a-z0-9+.-]*):(?!\d+(?:[/?#]|$))/i;
/** host[:port][/path...]: a bare host the user means https:// for. */
const BARE_HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+\.?(?::\d{1,5})?(?:[/?#].*)?$|^\[[0-9a-f:.]+\](?::\d{1,5})?(?:[/?#].*)?$/i;

/**
 * The URLs to audit, in order, each once: URLs as given (normalized), a
 * bare host as https://host/, and every URL listed in a file. Every bad
 * input is named in one error, a file's with its line.
 */
export function expandInputs(inputs: readonly string[], readFile: InputReader): InputsResult {
  const urls: string[] = [];
  const seen = new Set<string>();
  const errors: string[] = [];
  const push = (url: string) => {
    if (!seen.has(url)) {
      seen.add(url);
      urls.push(url);
    }
  };

  for (const input of inputs) {
    const text = input.trim();
    if (text === '') {
      errors.push('an empty argument is not a URL');
      continue;
    }
    if (!SCHEME_URL.test(text)) {
      let content: string | null;
      try {
        content = readFile(text);
      } catch (error) {
        errors.push(`${text}: cannot read it (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      if (content !== null) {
        let listed = 0;
        content.split(/\r\n|\r|\n/).forEach((raw, k) => {
          const line = raw.replace(/^\uFEFF/, '').trim();
          if (line === '' || line.startsWith('#')) return;
          listed++;
          const url = toUrl(line);
          if (url.ok) push(url.url);
          else errors.push(`${text}:${k + 1}: ${url.error}`);
        });
        if (listed === 0) errors.push(`${text}: the file lists no URL`);
        continue;
      }
    }
    const url = toUrl(text);
    if (url.ok) push(url.url);
    else errors.push(SCHEME_URL.test(text) || OTHER_SCHEME.test(text) ? url.error : `"${text}": no such file, and not a URL (write https://… for a host)`);
  }
  if (errors.length > 0) return { ok: false, error: errors.join('\n') };
  if (urls.length === 0) return { ok: false, error: 'no URL to audit' };
  return { ok: true, urls };
}

/** One URL as the audit loads it, or why it cannot be. */
export function toUrl(text: string): { ok: true; url: string } | { ok: false; error: string } {
  let candidate = text;
  if (!SCHEME_URL.test(text)) {
    const other = OTHER_SCHEME.exec(text);
    if (other) return { ok: false, error: `"${text}": only http and https URLs can be audited (not ${other[1]!.toLowerCase()}:)` };
    if (!BARE_HOST.test(text)) return { ok: false, error: `"${text}" is not a URL (write http://… or https://…)` };
    candidate = `https://${text}`;
    // "urls.txt" is a file name mistyped far more often than a host: a bare host needs a real suffix ("example.com"), or is localhost or an IP.
    let host = '';
    try {
      host = new URL(candidate).hostname;
    } catch {
      return { ok: false, error: `"${text}" is not a valid URL` };
    }
    const known = parseDomain(host, { allowPrivateDomains: true });
    const local = host === 'localhost' || host.endsWith('.localhost');
    if (!known.isIp && !known.isIcann && !known.isPrivate && !local) {
      return { ok: false, error: `"${text}" is not a URL (for a host without a public suffix, write http://${text} or https://${text})` };
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return { ok: false, error: `"${text}" is not a valid URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, error: `"${text}": only http and https URLs can be audited (not ${parsed.protocol})` };
  }
  if (parsed.hostname === '') return { ok: false, error: `"${text}" has no host` };
  return { ok: true, url: parsed.href };
}

export type SettingsResult = { ok: true; classifier: ClassifierOptions } | { ok: false; error: string };

/**
 * A settings file as the options page exports it (JSON of the stored
 * settings): its operators, confidence threshold and the user's own ASNs,
 * CIDRs and domains apply. Its allowlist does not: an audit reports what
 * it finds on every page it is asked about.
 */
export function parseAuditSettings(text: string, file: string): SettingsResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { ok: false, error: `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const settings = parseSettings(raw);
  if (!settings.ok) return { ok: false, error: `${file}: ${settings.errors.join('; ')}` };
  const options = classifierOptions(settings.value);
  const user = options.user ? { ...options.user, allowlist: [] } : undefined;
  return { ok: true, classifier: user ? { ...options, user } : options };
}
