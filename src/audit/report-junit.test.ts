import { describe, expect, it } from 'vitest';
import { renderJunitXml, xmlSafe } from './report-junit.ts';
import type { AuditReport, FlaggedEndpoint, PageReport } from './report-types.ts';

// A tiny strict XML reader: throws on anything not well-formed (unbalanced
// or mismatched tags, a raw "<" or "&" in text or attributes, an unknown
// entity, a repeated attribute, a character XML 1.0 forbids, text outside
// the root) and gives back the tree with entities decoded, so the tests can
// check both that a CI parser will accept the file and what it will read.

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function decode(raw: string, where: string): string {
  if (raw.includes('<')) throw new Error(`raw "<" in ${where}`);
  return raw.replace(/&([^;]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`unterminated entity in ${where}: ${whole}`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (body in named) return named[body]!;
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (num) return String.fromCodePoint(parseInt(num[1]!, body.startsWith('#x') ? 16 : 10));
    throw new Error(`unknown entity &${body}; in ${where}`);
  });
}

function parseXml(xml: string): XmlNode {
  if (FORBIDDEN.test(xml)) throw new Error('a character XML 1.0 forbids');
  const decl = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!xml.startsWith(decl)) throw new Error('no XML declaration');
  let i = decl.length;
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml);
    if (!m) throw new Error(`expected a name at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const spaces = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  while (i < xml.length) {
    if (xml.startsWith('</', i)) {
      i += 2;
      const closing = name();
      spaces();
      if (xml[i] !== '>') throw new Error(`bad end tag </${closing}`);
      i++;
      const open = stack.pop();
      if (open?.name !== closing) throw new Error(`</${closing}> closes <${open?.name}>`);
    } else if (xml[i] === '<') {
      i++;
      const node: XmlNode = { name: name(), attrs: {}, children: [], text: '' };
      for (;;) {
        const before = i;
        spaces();
        if (xml.startsWith('/>', i) || xml[i] === '>') break;
        if (i === before) throw new Error(`no space before an attribute of <${node.name}>`);
        const key = name();
        if (key in node.attrs) throw new Error(`repeated attribute ${key}`);
        if (xml[i] !== '=' || xml[i + 1] !== '"') throw new Error(`attribute ${key} not written ="…"`);
        const end = xml.indexOf('"', i + 2);
        if (end < 0) throw new Error('unterminated attribute');
        node.attrs[key] = decode(xml.slice(i + 2, end), `attribute ${key}`);
        i = end + 1;
      }
      const selfClosing = xml.startsWith('/>', i);
      i += selfClosing ? 2 : 1;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else if (root) throw new Error('a second root element');
      else root = node;
      if (!selfClosing) stack.push(node);
    } else {
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end < 0 ? xml.length : end);
      const value = decode(raw, 'text');
      const parent = stack[stack.length - 1];
      if (parent) parent.text += value;
      else if (value.trim() !== '') throw new Error('text outside the root');
      i += raw.length;
    }
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1]!.name}> not closed`);
  if (!root) throw new Error('no root');
  return root;
}

describe('the well-formedness check itself', () => {
  it('rejects what a CI parser would', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>';
    for (const bad of ['<a><b></a></b>', '<a>x < y</a>', '<a>AT&T</a>', '<a x="1" x="2"/>', '<a x="<"/>', '<a>&nbsp;</a>', '<a/><b/>', '<a>\u0001</a>', '<a>', 'x<a/>']) {
      expect(() => parseXml(head + bad), bad).toThrow();
    }
    expect(parseXml(`${head}<a x="&quot;&#10;">&lt;&amp;&#x41;</a>`)).toEqual({ name: 'a', attrs: { x: '"\n' }, children: [], text: '<&A' });
  });
});

const EVIL = `https://a.example.com/?q="><script>alert('x')</script>&b=]]>`;

function endpoint(patch: Partial<FlaggedEndpoint> = {}): FlaggedEndpoint {
  return {
    host: 'log.cmpassport.com',
    ip: '203.0.113.9',
    operatorId: 'china-mobile',
    operator: 'China Mobile',
    matchedBy: ['domain'],
    kinds: ['sent-data'],
    requests: 1,
    frameUrl: EVIL,
    initiators: [
      { url: `${EVIL}.js`, line: 3, column: 9 },
      { url: 'https://a.example.com/b.js', line: 1, column: 1, asyncBoundary: 'Promise.then' },
    ],
    evidence: [
      { url: 'https://log.cmpassport.com/x', host: 'log.cmpassport.com', method: 'POST', resourceType: 'fetch', frameUrl: EVIL, targetType: 'page', ip: null, ipSource: 'none', fromCache: false, failed: false, bodyBytes: 3, initiators: [] },
    ],
    meaning: 'Domain cmpassport.com is listed for China Mobile.',
    ...patch,
  };
}

function pageReport(patch: Partial<PageReport> = {}): PageReport {
  return { url: 'https://clean.example.com/', finalUrl: 'https://clean.example.com/', status: 'ok', error: null, durationMs: 1500, flagged: [], latent: [], canaryLeaks: [], requests: 1, websockets: 0, ...patch };
}

function report(pages: PageReport[]): AuditReport {
  return {
    format: 1,
    tool: { name: 'carrier-watch', version: '0.1.0' },
    startedAt: '2026-06-01T12:00:00.000Z',
    finishedAt: '2026-06-01T12:00:09.000Z',
    browser: { path: '/usr/bin/chromium "beta"', version: 'Chromium/140' },
    data: { listVersion: 'sha256:0123456789ab', tableDate: '2026-06-17' },
    options: { interact: true, concurrency: 1, timeoutMs: 30000 },
    pages,
    summary: { pages: pages.length, errors: 0, flaggedPages: 0, flaggedEndpoints: 0, latent: 0, canaryLeaks: 0 },
  };
}

describe('renderJunitXml', () => {
  const pages = [
    pageReport(),
    pageReport({
      url: EVIL,
      flagged: [endpoint()],
      latent: [{ domain: 'cmpassport.com', operatorId: 'china-mobile', scriptUrl: `${EVIL}.js`, line: 2, column: 5, excerpt: '' }],
      canaryLeaks: [{ canary: 'phone', host: 'x.example.org', requestUrl: `${EVIL}&p=1`, encoding: 'md5', where: 'url', flagged: false }],
    }),
    pageReport({ url: 'https://down.example.com/\u0001\uD800', status: 'error', error: 'net::ERR_NAME_NOT_RESOLVED\n<&>', finalUrl: null, durationMs: 30000 }),
    pageReport({ url: 'https://latent-only.example.com/', latent: [{ domain: '10010.com', operatorId: 'china-unicom', scriptUrl: 'https://latent-only.example.com/a.js', line: 1, column: 1, excerpt: '' }] }),
  ];
  const xml = renderJunitXml(report(pages));
  const root = parseXml(xml);
  const suite = root.children[0]!;
  const cases = suite.children.filter((c) => c.name === 'testcase');

  it('is well-formed: one suite, one test case per page', () => {
    expect(root.name).toBe('testsuites');
    expect(root.children.map((c) => c.name)).toEqual(['testsuite']);
    expect(suite.attrs).toMatchObject({ name: 'carrier-watch audit', tests: '4', failures: '2', errors: '1', skipped: '0', time: '34.500', timestamp: '2026-06-01T12:00:00' });
    expect(cases.map((c) => c.attrs['name'])).toEqual(['https://clean.example.com/', EVIL, 'https://down.example.com/\uFFFD\uFFFD', 'https://latent-only.example.com/']);
    expect(cases.map((c) => c.attrs['time'])).toEqual(['1.500', '1.500', '30.000', '1.500']);
  });

  it('passes a clean page', () => {
    expect(cases[0]!.children).toEqual([]);
  });

  it('fails a page with findings, listing each with its initiator', () => {
    const failure = cases[1]!.children[0]!;
    expect(failure.name).toBe('failure');
    expect(failure.attrs['message']).toBe('1 flagged endpoint (China Mobile), 1 latent reference, 1 canary leak');
    expect(failure.text.split('\n')).toEqual([
      'flagged: log.cmpassport.com (203.0.113.9), China Mobile: Domain cmpassport.com is listed for China Mobile. Sent data to it (POST).',
      `  initiator: ${EVIL}.js:3:9 <- [async: Promise.then] https://a.example.com/b.js:1:1`,
      `  frame: ${EVIL}`,
      `latent: cmpassport.com (china-mobile) written at ${EVIL}.js:2:5`,
      `canary leak: phone (md5) in the url of ${EVIL}&p=1`,
    ]);
    expect(cases[3]!.children[0]?.attrs['message']).toBe('1 latent reference');
  });

  it('marks a page that could not be audited as an error, keeping line breaks in the message', () => {
    const error = cases[2]!.children[0]!;
    expect(error.name).toBe('error');
    expect(error.attrs['message']).toBe('net::ERR_NAME_NOT_RESOLVED\n<&>');
    expect(error.text).toMatch(/It is not known to be clean\.$/);
  });

  it('carries the run’s facts as properties', () => {
    const properties = suite.children.find((c) => c.name === 'properties')!;
    expect(Object.fromEntries(properties.children.map((p) => [p.attrs['name'], p.attrs['value']]))).toMatchObject({
      browser: 'Chromium/140 (/usr/bin/chromium "beta")',
      interact: 'true',
    });
  });

  it('replaces what XML cannot hold', () => {
    expect(xmlSafe('a\u0000b\u0008c\td\ne\u001Ff\uFFFEg\uDC00h😀')).toBe('a\uFFFDb\uFFFDc\td\ne\uFFFDf\uFFFDg\uFFFDh😀');
  });

  it('is still one well-formed suite for no pages at all', () => {
    expect(parseXml(renderJunitXml(report([]))).children[0]?.attrs['tests']).toBe('0');
  });
});
