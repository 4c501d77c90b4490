import { describe, expect, it } from 'vitest';
import type { SiteLog } from '../background/site-log.ts';
import { visitOf } from '../background/site-log.ts';
import { csvCell, exportFileName, pageToCsv, pageToJson, siteLogToCsv, siteLogToJson } from './export.ts';
import { endpoint, view } from './test-fixtures.ts';

/** A small RFC 4180 reader, to prove the CSV parses back to the same cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    } else cell += c;
  }
  return rows;
}

const ctx = { version: '1.2.3', now: Date.UTC(2026, 10, 21, 14, 3) };
const page = view(
  [
    endpoint('passport.cmpassport.com', { operatorId: 'china-mobile', operator: 'China Mobile', matchedBy: ['domain'], domain: 'cmpassport.com', tags: ['phone-login'], ips: ['1.2.3.4', '5.6.7.8'], count: 3 }),
    endpoint('cdn.example.cn', { asName: 'NAME, WITH "QUOTES"' }),
  ],
  { url: 'https://news.example.com/story?session=secret#x' },
);

describe('page export', () => {
  it('JSON: the page (without query), every endpoint, ISO times', () => {
    const data = JSON.parse(pageToJson(page, ctx));
    expect(data).toMatchObject({ tool: 'Carrier Watch', toolVersion: '1.2.3', kind: 'page', exportedAt: '2026-11-21T14:03:00.000Z' });
    expect(data.page.url).toBe('https://news.example.com/story');
    expect(data.endpoints).toHaveLength(2);
    expect(data.endpoints[0]).toMatchObject({ host: 'passport.cmpassport.com', operatorId: 'china-mobile', tags: ['phone-login'], requests: 3, firstSeen: '1970-01-01T00:00:01.000Z' });
  });

  it('CSV: a header and one row per endpoint that parse back to the same values', () => {
    const rows = parseCsv(pageToCsv(page));
    expect(rows[0]).toEqual([
      'pageUrl', 'host', 'operatorId', 'operator', 'ips', 'asn', 'asName', 'matchedBy', 'domain', 'cname', 'confidence', 'tags', 'types',
      'kinds', 'methods', 'sentData', 'requests', 'overNetwork', 'fromCache', 'failed', 'blocked', 'reached', 'ipSource', 'party', 'firstSeen', 'lastSeen',
    ]);
    expect(rows).toHaveLength(3);
    const [, first, second] = rows;
    expect(first!.slice(0, 5)).toEqual(['https://news.example.com/story', 'passport.cmpassport.com', 'china-mobile', 'China Mobile', '1.2.3.4 5.6.7.8']);
    expect(second![6]).toBe('NAME, WITH "QUOTES"');
  });

  it('says how each endpoint was reached and what the page did with it', () => {
    const sent = view([
      endpoint('gw.example.cn', { types: ['script', 'xmlhttprequest'], methods: ['GET', 'POST'], sentData: true, count: 5, cached: 2, errors: 1 }),
      endpoint('img.example.cn', { types: ['image'], count: 1, cached: 1, ips: ['9.9.9.9'], ipSource: 'last-seen' }),
    ], { partial: true });
    const data = JSON.parse(pageToJson(sent, ctx));
    expect(data.format).toBe(3);
    expect(data.page.partial).toBe(true);
    expect(data.endpoints[0]).toMatchObject({ kinds: ['sent-data', 'script'], methods: ['GET', 'POST'], sentData: true, overNetwork: 2, fromCache: 2, failed: 1 });
    expect(data.endpoints[1]).toMatchObject({ kinds: ['image'], overNetwork: 0, fromCache: 1, ipSource: 'last-seen', ips: ['9.9.9.9'] });
    const [header, row] = parseCsv(pageToCsv(sent));
    const cell = (name: string) => row![header!.indexOf(name)];
    expect([cell('kinds'), cell('methods'), cell('sentData'), cell('overNetwork'), cell('fromCache')]).toEqual(['sent-data script', 'GET POST', 'true', '2', '2']);
  });

  it('counts the requests Carrier Watch blocked apart, and says whether any reached the endpoint', () => {
    const blocking = view([
      endpoint('all.example.cn', { count: 3, blocked: 3 }),
      endpoint('learned.example.cn', { count: 5, blocked: 2, cached: 1, errors: 1 }),
      endpoint('old.example.cn', { count: 2, blocked: undefined }), // saved before blocking existed
    ]);
    const data = JSON.parse(pageToJson(blocking, ctx));
    expect(data.endpoints.map((e: Record<string, unknown>) => [e['host'], e['requests'], e['overNetwork'], e['fromCache'], e['failed'], e['blocked'], e['reached']])).toEqual([
      ['all.example.cn', 3, 0, 0, 0, 3, false],
      ['learned.example.cn', 5, 1, 1, 1, 2, true],
      ['old.example.cn', 2, 2, 0, 0, 0, true],
    ]);
    const [header, row] = parseCsv(pageToCsv(blocking));
    expect([row![header!.indexOf('blocked')], row![header!.indexOf('reached')]]).toEqual(['3', 'false']);
    // The site log keeps `blocked` only when there is some: read back as 0.
    const logged = visitOf(blocking);
    const fromLog = JSON.parse(siteLogToJson({ site: 'example.com', visits: [logged] }, ctx)).visits[0].endpoints;
    expect(fromLog.map((e: Record<string, unknown>) => [e['blocked'], e['reached']])).toEqual([[3, false], [2, true], [0, true]]);
  });

  it('never lets a cell become a spreadsheet formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });
});

describe('site log export', () => {
  const older = visitOf(view([endpoint('a.cn')], { id: 'v1', startedAt: 1000, url: 'https://example.com/one' }));
  const newer = visitOf(view([endpoint('b.cn'), endpoint('c.cn')], { id: 'v2', startedAt: 5000, url: 'https://example.com/two' }));
  const log: SiteLog = { site: 'example.com', visits: [older, newer] };

  it('JSON lists the visits newest first', () => {
    const data = JSON.parse(siteLogToJson(log, ctx));
    expect(data.site).toBe('example.com');
    expect(data.visits.map((v: { url: string }) => v.url)).toEqual(['https://example.com/two', 'https://example.com/one']);
    expect(data.visits[0].endpoints.map((e: { host: string }) => e.host)).toEqual(['b.cn', 'c.cn']);
  });

  it('CSV has one row per endpoint per visit', () => {
    const rows = parseCsv(siteLogToCsv(log));
    expect(rows[0]!.slice(0, 3)).toEqual(['visitStartedAt', 'visitUrl', 'host']);
    expect(rows.slice(1).map((r) => r[2])).toEqual(['b.cn', 'c.cn', 'a.cn']);
  });
});

describe('exportFileName', () => {
  it('names the site, the kind and the time', () => {
    expect(exportFileName('example.com', 'page', 'csv', ctx.now)).toBe('carrier-watch-example.com-page-20261121-1403.csv');
    expect(exportFileName('', 'settings', 'json', ctx.now)).toBe('carrier-watch-settings-20261121-1403.json');
  });
});
