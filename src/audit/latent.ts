import type { Classifier } from '../engine/classifier.ts';
import type { LatentReference } from './report-types.ts';

// A request shows what a page did on this visit; the script's text shows
// what it can do: a login SDK that calls the operator's gateway only for a
// mobile visitor, or only after a click, still carries the gateway's name.
// So every script the page loaded is searched for the flagged domains,
// whether or not the page contacted them.
//
// What is caught (the domain list and the user's own domains, through the
// classifier, with its operators and threshold):
// - a flagged domain anywhere in the text, alone or inside a longer host
//   name ("www.cmpassport.com", "https://log.cmpassport.com/x"), in strings,
//   comments, regular expressions, upper or lower case, on label
//   boundaries: never "notcmpassport.com" nor "cmpassport.com.evil.test";
// - dots written escaped: "\x2e", "\u002e", "\u{2e}", "\." and "\\." (a
//   pattern in a string), "%2e", and the full stops a URL parser reads as
//   dots ("。", "．", "｡"); a host right after an escape ("\n", "\x2f",
//   "%2F") starts after it;
// - a host split into quoted parts joined by "+" on one line
//   ('cmpass' + 'port.com', "a.cm" + "passport" + ".com").
// What is missed, on purpose: anything computed at run time (variables
// between the parts, concatenation across lines, arrays joined,
// String.fromCharCode, atob, reversed or XOR-ed strings, template
// placeholders), escaped letters ("\x63mpassport"), and IP addresses. The
// request log catches what such code actually contacts; this scan reports
// what is written, which is what a reader of the script can check.
//
// One pass of one regular expression, anchored so a long identifier or a
// base64 blob is read once: a 2 MB minified script takes a few tens of ms.

/** The one thing the scan needs from the engine: the listed-domain match of a host, as the classifier's settings filter it. */
export type LatentClassifier = Pick<Classifier, 'matchDomain'>;

export interface LatentOptions {
  /**
   * Where the script starts in its resource, as Debugger.scriptParsed gives
   * it (0-based): an inline <script> in an HTML document starts at its tag,
   * so its positions are reported in the document's lines and columns.
   */
  startLine?: number;
  startColumn?: number;
}

const LABEL = '[A-Za-z0-9_-]+';
/** A dot as a script may write it: plain, escaped in a string or a pattern, percent-encoded, or a full stop URL parsers map to a dot. */
const SEPARATOR = String.raw`(?:\\{0,2}\.|\\{1,2}(?:x2[eE]|u002[eE]|u\{0*2[eE]\})|%2[eE]|[\u3002\uFF0E\uFF61])`;
/** A dotted name that does not start inside a longer label. */
const HOST_PATTERN = new RegExp(String.raw`(?<![A-Za-z0-9_-])${LABEL}(?:${SEPARATOR}${LABEL})+`, 'g');
const SEPARATOR_PATTERN = new RegExp(SEPARATOR, 'g');
/** The same, for the text of joined parts (its own lastIndex). */
const JOINED_HOST_PATTERN = new RegExp(HOST_PATTERN.source, 'g');
/** A top-level domain is letters, or punycode: "js", "0", "prototype1" end a name that is no host. */
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
/** Quoted parts joined by "+": the closing quote of one, the opening quote of the next. */
const JUNCTION = /(['"`])[ \t]*\+[ \t]*(['"`])/g;
const CONTINUATION = /[ \t]*\+[ \t]*(['"`])/y;
/** A quoted part longer than this is not a piece of a host name. */
const MAX_PART = 256;
const EXCERPT_BEFORE = 50;
const EXCERPT_AFTER = 70;

interface Hit {
  offset: number;
  domain: string;
  operatorId: LatentReference['operatorId'];
  host: string;
  written: NonNullable<LatentReference['written']>;
  /** For a joined host: where its last part's text ends in the source. */
  end?: number;
}

/** Flagged domains written in `source`, in order of position, each domain once per position. */
export function findLatentReferences(scriptUrl: string, source: string, classifier: LatentClassifier, options: LatentOptions = {}): LatentReference[] {
  const hits = new Map<string, Hit>();
  const add = (hit: Hit) => {
    const key = `${hit.domain}@${hit.offset}`;
    if (!hits.has(key)) hits.set(key, hit);
  };

  HOST_PATTERN.lastIndex = 0;
  for (let m = HOST_PATTERN.exec(source); m !== null; m = HOST_PATTERN.exec(source)) {
    const hit = judge(m[0], m.index, source, classifier);
    if (hit) add(hit);
  }
  const joined = concatenatedHits(source, classifier);
  if (joined.length > 0) {
    // "enrich" + "gw.10010.com" also holds "gw.10010.com" whole: the joined host is the one the script means.
    for (const [key, hit] of hits) {
      if (joined.some((j) => hit.offset > j.offset && hit.offset < j.end!)) hits.delete(key);
    }
    for (const hit of joined) add(hit);
  }
  if (hits.size === 0) return [];

  const sorted = [...hits.values()].sort((a, b) => a.offset - b.offset);
  const lines = lineStarts(source);
  const lineBase = Math.max(0, Math.floor(options.startLine ?? 0));
  const columnBase = Math.max(0, Math.floor(options.startColumn ?? 0));
  return sorted.map((hit) => {
    const index = lineIndex(lines, hit.offset);
    const column = hit.offset - lines[index]! + 1 + (index === 0 ? columnBase : 0);
    return {
      domain: hit.domain,
      operatorId: hit.operatorId,
      scriptUrl,
      line: index + 1 + lineBase,
      column,
      excerpt: excerpt(source, hit.offset),
      host: hit.host,
      written: hit.written,
    };
  });
}

/** The listed domain a dotted name found at `offset` (in `context`) belongs to, if any. */
function judge(raw: string, offset: number, context: string, classifier: LatentClassifier): Hit | undefined {
  const skip = escapePrefix(raw, offset, context);
  const text = skip === 0 ? raw : raw.slice(skip);
  let host = text.replace(SEPARATOR_PATTERN, '.').toLowerCase();
  // No host name is longer than 253 characters: a longer dotted run ends in one, at most.
  if (host.length > 253) host = host.slice(host.indexOf('.', host.length - 254) + 1);
  const lastDot = host.lastIndexOf('.');
  if (lastDot <= 0 || !TLD.test(host.slice(lastDot + 1))) return undefined;
  const match = classifier.matchDomain(host);
  if (match === undefined) return undefined;
  const plain = text.length === host.length && !/[\\%\u3002\uFF0E\uFF61]/.test(text);
  return { offset: offset + skip, domain: match.domain, operatorId: match.operatorId, host, written: plain ? 'plain' : 'escaped' };
}

/**
 * How many characters at the start of a name belong to an escape just
 * before it: "\n" + "cmpassport.com" is a newline and then the host, as is
 * "\x2f", "\u002f" or "%2F" + the host. Zero when nothing escapes it.
 */
function escapePrefix(raw: string, offset: number, context: string): number {
  const before = offset > 0 ? context.charCodeAt(offset - 1) : 0;
  let skip = 0;
  if (before === 0x5c /* \ */) {
    let slashes = 0;
    for (let i = offset - 1; i >= 0 && context.charCodeAt(i) === 0x5c; i--) slashes++;
    if (slashes % 2 === 0) return 0; // "\\" is a backslash, the name starts here
    if (/^[nrtvfb0]/.test(raw)) skip = 1;
    else if (/^x[0-9a-fA-F]{2}/.test(raw)) skip = 3;
    else if (/^u[0-9a-fA-F]{4}/.test(raw)) skip = 5;
  } else if (before === 0x25 /* % */ && /^[0-9a-fA-F]{2}/.test(raw)) {
    skip = 2;
  }
  // The escape took the whole first label ("\x2e" + ".com" cannot happen, but "%2F" + "-x.com" can): keep the name as is.
  return skip > 0 && /^[A-Za-z0-9_-]/.test(raw.slice(skip)) ? skip : 0;
}

/** Hosts that only exist once quoted parts joined by "+" on one line are put together. */
function concatenatedHits(source: string, classifier: LatentClassifier): Hit[] {
  const out: Hit[] = [];
  JUNCTION.lastIndex = 0;
  for (let m = JUNCTION.exec(source); m !== null; m = JUNCTION.exec(source)) {
    const leftClose = m.index;
    const leftOpen = findOpening(source, leftClose);
    if (leftOpen < 0) {
      JUNCTION.lastIndex = leftClose + 1;
      continue;
    }
    // Each part: where its text starts in the source, and the text as written.
    const parts: Array<{ start: number; text: string }> = [{ start: leftOpen + 1, text: source.slice(leftOpen + 1, leftClose) }];
    let open = m.index + m[0].length - 1;
    let end = leftClose;
    for (;;) {
      const close = findClosing(source, open);
      if (close < 0) break;
      parts.push({ start: open + 1, text: source.slice(open + 1, close) });
      end = close;
      CONTINUATION.lastIndex = close + 1;
      const next = CONTINUATION.exec(source);
      if (next === null) break;
      open = CONTINUATION.lastIndex - 1;
    }
    JUNCTION.lastIndex = end + 1;
    if (parts.length < 2) continue;

    const joined = parts.map((p) => p.text).join('');
    // Joined offset -> part, to map a hit back to the source.
    const starts: number[] = [];
    let at = 0;
    for (const p of parts) {
      starts.push(at);
      at += p.text.length;
    }
    const partAt = (offset: number): number => {
      let k = 0;
      while (k + 1 < starts.length && starts[k + 1]! <= offset) k++;
      return k;
    };
    JOINED_HOST_PATTERN.lastIndex = 0;
    for (let h = JOINED_HOST_PATTERN.exec(joined); h !== null; h = JOINED_HOST_PATTERN.exec(joined)) {
      const first = partAt(h.index);
      const last = partAt(h.index + h[0].length - 1);
      if (first === last) continue; // written whole inside one part: the plain pass has it
      const hit = judge(h[0], h.index, joined, classifier);
      if (!hit) continue;
      const part = partAt(hit.offset);
      const endOffset = h.index + h[0].length;
      out.push({
        ...hit,
        offset: parts[part]!.start + (hit.offset - starts[part]!),
        end: parts[last]!.start + (endOffset - starts[last]!),
        written: 'concatenated',
      });
    }
  }
  return out;
}

/** The opening quote of the quoted part that `close` ends, on the same line; -1 if there is none near. */
function findOpening(source: string, close: number): number {
  const quote = source.charCodeAt(close);
  const stop = Math.max(0, close - MAX_PART - 1);
  for (let i = close - 1; i >= stop; i--) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13) return -1;
    if (c === quote && !escaped(source, i)) return i;
  }
  return -1;
}

/** The closing quote of the quoted part `open` starts, on the same line; -1 if there is none near. */
function findClosing(source: string, open: number): number {
  const quote = source.charCodeAt(open);
  const stop = Math.min(source.length, open + MAX_PART + 2);
  for (let i = open + 1; i < stop; i++) {
    const c = source.charCodeAt(i);
    if (c === 10 || c === 13) return -1;
    if (c === quote && !escaped(source, i)) return i;
  }
  return -1;
}

function escaped(source: string, index: number): boolean {
  let slashes = 0;
  for (let i = index - 1; i >= 0 && source.charCodeAt(i) === 0x5c; i--) slashes++;
  return slashes % 2 === 1;
}

/** Offsets where each line starts, counting line ends as V8 does (\n, \r\n, \r, U+2028, U+2029), so columns agree with DevTools. */
function lineStarts(source: string): number[] {
  const starts = [0];
  const ends = /\r\n?|[\n\u2028\u2029]/g;
  for (let m = ends.exec(source); m !== null; m = ends.exec(source)) starts.push(m.index + m[0].length);
  return starts;
}

function lineIndex(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The text around a hit, whitespace collapsed, at most ~120 characters. */
function excerpt(source: string, offset: number): string {
  let from = Math.max(0, offset - EXCERPT_BEFORE);
  let to = Math.min(source.length, offset + EXCERPT_AFTER);
  // Never split a surrogate pair.
  if (from > 0 && isLowSurrogate(source.charCodeAt(from))) from++;
  if (to < source.length && isLowSurrogate(source.charCodeAt(to))) to--;
  const text = source.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > 0 ? '…' : ''}${text}${to < source.length ? '…' : ''}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
