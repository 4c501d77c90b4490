import { describe, expect, it } from 'vitest';
import { createClassifier } from '../data/engine-data.ts';
import { loadEngineDataFromDisk } from '../data/node.ts';
import { findLatentReferences } from './latent.ts';

const data = loadEngineDataFromDisk();
const classifier = createClassifier(data, { minConfidence: 'medium' });
const URL_ = 'https://site.test/app.js';

function found(source: string, c = classifier) {
  return findLatentReferences(URL_, source, c).map((r) => ({ domain: r.domain, host: r.host, line: r.line, column: r.column, written: r.written }));
}

describe('findLatentReferences: what is written', () => {
  it('finds a listed domain alone and inside longer host names, with 1-based line and column', () => {
    const source = ['// CMPassport SDK', 'var a = "cmpassport.com";', "fetch('https://log.cmpassport.com/x?y=1');", '  www.cmpassport.com'].join('\n');
    expect(found(source)).toEqual([
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 2, column: 10, written: 'plain' },
      { domain: 'cmpassport.com', host: 'log.cmpassport.com', line: 3, column: 16, written: 'plain' },
      { domain: 'cmpassport.com', host: 'www.cmpassport.com', line: 4, column: 3, written: 'plain' },
    ]);
  });

  it('reports the full reference: script URL, operator and an excerpt', () => {
    const [ref] = findLatentReferences(URL_, 'x="https://log.cmpassport.com/a"', classifier);
    expect(ref).toEqual({
      domain: 'cmpassport.com',
      operatorId: 'china-mobile',
      scriptUrl: URL_,
      line: 1,
      column: 12,
      excerpt: 'x="https://log.cmpassport.com/a"',
      host: 'log.cmpassport.com',
      written: 'plain',
    });
  });

  it('respects label boundaries on both sides', () => {
    expect(found('notcmpassport.com cmpassport.com.evil.test cmpassport.community a-cmpassport.com x_cmpassport.com cmpassport.com-x cmpassport.comx')).toEqual([]);
  });

  it('takes the most specific listed domain, as the classifier does', () => {
    expect(found('"https://enrichgw.10010.com/api" "www.10010.com"').map((r) => r.domain)).toEqual(['enrichgw.10010.com', '10010.com']);
  });

  it('reads upper case as the host it is', () => {
    expect(found('"HTTPS://WWW.CMPASSPORT.COM/"')).toEqual([{ domain: 'cmpassport.com', host: 'www.cmpassport.com', line: 1, column: 10, written: 'plain' }]);
  });

  it('finds it in comments, regular expressions and URL-encoded parameters', () => {
    expect(found('/* see cmpassport.com */ /^(.+\\.)?cmpassport\\.com$/ "?r=https%3A%2F%2Fwww.cmpassport.com%2Fx"').map((r) => [r.host, r.column, r.written])).toEqual([
      ['cmpassport.com', 8, 'plain'],
      ['cmpassport.com', 35, 'escaped'],
      ['www.cmpassport.com', 71, 'plain'],
    ]);
  });

  it('unescapes dots written \\x2e, \\u002e, \\u{2e}, \\\\. and %2e, and full stops URL parsers read as dots', () => {
    const source = [
      String.raw`a="cmpassport\x2ecom"`,
      String.raw`b="log\u002Ecmpassport\u002ecom"`,
      String.raw`c="cmpassport\u{2e}com"`,
      String.raw`d=new RegExp("cmpassport\\.com")`,
      'e="cmpassport%2Ecom"',
      'f="cmpassport\u3002com"',
    ].join('\n');
    expect(found(source)).toEqual([
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 1, column: 4, written: 'escaped' },
      { domain: 'cmpassport.com', host: 'log.cmpassport.com', line: 2, column: 4, written: 'escaped' },
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 3, column: 4, written: 'escaped' },
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 4, column: 15, written: 'escaped' },
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 5, column: 4, written: 'escaped' },
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 6, column: 4, written: 'escaped' },
    ]);
  });

  it('starts a host after an escape that precedes it, not inside it', () => {
    expect(found(String.raw`"\ncmpassport.com" "\x2fcmpassport.com" "\u002Fwww.cmpassport.com"`).map((r) => [r.host, r.column])).toEqual([
      ['cmpassport.com', 4],
      ['cmpassport.com', 25],
      ['www.cmpassport.com', 48],
    ]);
    // An escaped backslash escapes nothing after it: "\\ncmpassport.com" is the name "ncmpassport.com".
    expect(found(String.raw`"\\ncmpassport.com"`)).toEqual([]);
  });

  it('finds quoted parts joined by "+" on one line, at the first part of the host', () => {
    const source = ["var h = 'cmpass' + 'port.com';", 'var u = "https://log." + "cmpassport" + ".com/api";', "var t = `enrich` + `gw.10010.com`;"].join('\n');
    expect(found(source)).toEqual([
      { domain: 'cmpassport.com', host: 'cmpassport.com', line: 1, column: 10, written: 'concatenated' },
      { domain: 'cmpassport.com', host: 'log.cmpassport.com', line: 2, column: 18, written: 'concatenated' },
      { domain: 'enrichgw.10010.com', host: 'enrichgw.10010.com', line: 3, column: 10, written: 'concatenated' },
    ]);
  });

  it('does not report a joined host twice when one part holds it whole', () => {
    expect(found('"https://cmpassport.com" + "/path"')).toEqual([{ domain: 'cmpassport.com', host: 'cmpassport.com', line: 1, column: 10, written: 'plain' }]);
  });

  it('misses what is built at run time (documented)', () => {
    const source = [
      "var a = 'cmpass'; var h = a + 'port.com';", // a variable between the parts
      "var b = 'cmpass' +", // across lines
      "  'port.com';",
      "['cmpassport', 'com'].join('.')",
      'String.fromCharCode(99,109)+"passport.com"',
      String.raw`"\x63mpassport.com"`, // an escaped letter
    ].join('\n');
    expect(found(source)).toEqual([]);
  });

  it('reports each domain once per position, in order', () => {
    const refs = found('cmpassport.com cmpassport.com\ncmpassport.com');
    expect(refs.map((r) => [r.line, r.column])).toEqual([
      [1, 1],
      [1, 16],
      [2, 1],
    ]);
  });

  it('counts lines as V8 does (\\r\\n, \\r, U+2028)', () => {
    expect(found('a\r\nb\rc\u2028cmpassport.com').map((r) => [r.line, r.column])).toEqual([[4, 1]]);
  });

  it('offsets an inline script by where it starts in its document (CDP, 0-based)', () => {
    const refs = findLatentReferences('https://site.test/', 'x="cmpassport.com"\ny="cmpassport.com"', classifier, { startLine: 9, startColumn: 8 });
    expect(refs.map((r) => [r.line, r.column])).toEqual([
      [10, 12],
      [11, 4],
    ]);
  });

  it('follows the classifier: operators switched off are not reported, the user’s own domains are', () => {
    const custom = createClassifier(data, {
      enabledOperators: ['china-telecom', 'custom'],
      user: { asns: [], cidrs: [], allowlist: [], domains: [{ domain: 'tracker.example', operatorId: 'custom' }] },
    });
    const refs = findLatentReferences(URL_, '"cmpassport.com" "https://cdn.tracker.example/t.js" "ctyun.cn"', custom);
    expect(refs.map((r) => [r.domain, r.operatorId])).toEqual([
      ['tracker.example', 'custom'],
      ['ctyun.cn', 'china-telecom'],
    ]);
  });

  it('keeps excerpts short and on whole characters', () => {
    const [ref] = findLatentReferences(URL_, `${'😀'.repeat(100)}cmpassport.com${'\t x'.repeat(100)}`, classifier);
    expect(ref!.excerpt.length).toBeLessThanOrEqual(125);
    expect(ref!.excerpt).toContain('cmpassport.com');
    expect(ref!.excerpt).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(ref!.excerpt.startsWith('…') && ref!.excerpt.endsWith('…')).toBe(true);
  });
});

describe('findLatentReferences: speed', () => {
  function minified(bytes: number): string {
    const chunk =
      'function(e,t,n){"use strict";var r=n(12),o=n.n(r),i=window.location.hostname;e.exports=function(e){return o.a.createElement("div",{className:"foo-bar baz"},e.children)};' +
      't.default=r.prototype.toString.call(i);var s="https://cdn.example.com/assets/app.js?v=3",c=a.b.c.d.e.f.g;if(s.indexOf("www.example.org")>-1)u.push("a"+"b"+c);}';
    const blob = `"data:image/png;base64,${'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg'.repeat(2000)}"`;
    let out = blob;
    while (out.length < bytes) out += chunk;
    return out;
  }

  it('scans a 2 MB minified script in under 200 ms', () => {
    const clean = minified(2_000_000);
    const source = `${clean.slice(0, 1_000_000)}"https://log.cmpassport.com/x"${clean.slice(1_000_000)}'cmpass'+'port.com'`;
    findLatentReferences(URL_, source.slice(0, 50_000), classifier); // warm up
    const times: number[] = [];
    let refs: ReturnType<typeof findLatentReferences> = [];
    for (let k = 0; k < 3; k++) {
      const start = performance.now();
      refs = findLatentReferences(URL_, source, classifier);
      times.push(performance.now() - start);
    }
    expect(refs.map((r) => [r.host, r.line, r.column, r.written])).toEqual([
      ['log.cmpassport.com', 1, 1_000_010, 'plain'],
      ['cmpassport.com', 1, source.length - 17, 'concatenated'],
    ]);
    expect(Math.min(...times)).toBeLessThan(200);
  });

  it('stays linear on a long run of label characters (no regex blow-up)', () => {
    const source = `x="${'a'.repeat(1_000_000)}"${'a.'.repeat(200_000)}cmpassport.com`;
    const start = performance.now();
    const refs = findLatentReferences(URL_, source, classifier);
    expect(performance.now() - start).toBeLessThan(500);
    // Reported where the run starts; the host is the longest name it can end in.
    expect(refs.map((r) => [r.column, r.host!.length, r.host!.endsWith('a.a.cmpassport.com')])).toEqual([[1_000_005, 252, true]]);
  });
});
