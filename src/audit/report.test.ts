import { describe, expect, it } from 'vitest';
import { auditedRequest } from './test-fixtures.ts';
import { createClassifier } from '../data/engine-data.ts';
import { loadEngineDataFromDisk, readListFiles } from '../data/node.ts';
import { makeCanaries } from './canary.ts';
import { buildAuditReport, buildPageReport, dataInfo, exitCodeOf, operatorDisplayName, sentData, webRequestType, type PageInput } from './report.ts';
import type { AuditedRequest, PageReport } from './report-types.ts';

const data = loadEngineDataFromDisk();
const classifier = createClassifier(data);
const PAGE = 'https://shop.example.com/login';

const request = (url: string, patch: Partial<AuditedRequest> = {}): AuditedRequest => auditedRequest(url, PAGE, patch);

function page(requests: AuditedRequest[], patch: Partial<PageInput> = {}): PageInput {
  return { url: PAGE, finalUrl: PAGE, status: 'ok', error: null, durationMs: 1234.4, requests, ...patch };
}

const sdkStack = [
  { url: 'https://shop.example.com/login.js', line: 12, column: 7, functionName: 'post' },
  { url: 'https://shop.example.com/login.js', line: 40, column: 3, asyncBoundary: 'Promise.then' },
];

describe('buildPageReport', () => {
  it('groups requests per host and flags a listed domain, with the extension’s words', () => {
    const report = buildPageReport(
      page([
        request(PAGE, { resourceType: 'document', ip: '93.184.216.34', ipSource: 'response' }),
        request('https://shop.example.com/login.js', { parserLocation: { url: PAGE, line: 9, column: 5 }, ip: '93.184.216.34' }),
        request('https://log.cmpassport.com/sdk.js', { parserLocation: { url: PAGE, line: 10, column: 5 }, ip: '203.0.113.9', ipSource: 'response' }),
        request('https://log.cmpassport.com/api', { resourceType: 'fetch', method: 'POST', bodyBytes: 120, initiators: sdkStack, ip: '203.0.113.9' }),
      ]),
      classifier,
    );
    expect(report.flagged).toHaveLength(1);
    const [endpoint] = report.flagged;
    expect(endpoint).toMatchObject({
      host: 'log.cmpassport.com',
      ip: '203.0.113.9',
      ips: ['203.0.113.9'],
      operatorId: 'china-mobile',
      operator: 'China Mobile',
      matchedBy: ['domain'],
      domain: 'cmpassport.com',
      tags: ['phone-login'],
      kinds: ['sent-data', 'script'],
      methods: ['GET', 'POST'],
      requests: 2,
      frameUrl: PAGE,
      initiators: sdkStack,
      meaning: 'Domain cmpassport.com is listed for China Mobile. Phone-number login gateway.',
    });
    expect(endpoint!.evidence.map((r) => r.url)).toEqual(['https://log.cmpassport.com/sdk.js', 'https://log.cmpassport.com/api']);
    expect(report).toMatchObject({ url: PAGE, finalUrl: PAGE, status: 'ok', error: null, durationMs: 1234, requests: 4, websockets: 0, latent: [], canaryLeaks: [] });
  });

  it('flags a host by its IP, saying where it is hosted, and names the matching address', () => {
    const report = buildPageReport(
      page([
        request('https://cdn.example.net/a.png', { resourceType: 'image', ip: '93.184.216.34' }),
        request('https://cdn.example.net/b.png', { resourceType: 'image', ip: '202.97.1.1' }),
      ]),
      classifier,
    );
    expect(report.flagged[0]).toMatchObject({
      host: 'cdn.example.net',
      ip: '202.97.1.1',
      ips: ['93.184.216.34', '202.97.1.1'],
      operatorId: 'china-telecom',
      operator: 'China Telecom',
      matchedBy: ['ip'],
      asn: 4134,
      domain: null,
      kinds: ['image'],
      meaning: "Hosted on China Telecom's network (AS4134).",
    });
  });

  it('uses the parser location when no script made a request', () => {
    const report = buildPageReport(page([request('https://www.10086.cn/x.css', { resourceType: 'stylesheet', parserLocation: { url: PAGE, line: 3, column: 1 } })]), classifier);
    expect(report.flagged[0]?.initiators).toEqual([{ url: PAGE, line: 3, column: 1 }]);
    expect(report.flagged[0]?.kinds).toEqual(['file']);
  });

  it('says what the page did as the extension does: frames, pages, websockets, beacons', () => {
    const kinds = (requests: AuditedRequest[]) => buildPageReport(page(requests), classifier).flagged[0]?.kinds;
    expect(kinds([request('https://www.10086.cn/', { resourceType: 'document', targetType: 'iframe' })])).toEqual(['frame']);
    expect(kinds([request('https://www.10086.cn/', { resourceType: 'document', targetType: 'page', mainFrame: false })])).toEqual(['frame']);
    expect(kinds([request('https://www.10086.cn/', { resourceType: 'document', targetType: 'page' })])).toEqual(['page']);
    expect(kinds([request('wss://ws.10086.cn/live', { resourceType: 'websocket' })])).toEqual(['sent-data']);
    expect(kinds([request('https://www.10086.cn/b', { resourceType: 'ping', method: 'POST' })])).toEqual(['sent-data']);
    expect(kinds([request('https://www.10086.cn/b', { resourceType: 'xhr' })])).toEqual(['connected']);
    expect(kinds([request('https://www.10086.cn/b', { resourceType: 'fetch', method: 'GET', bodyBytes: 10 })])).toEqual(['sent-data']);
    expect(kinds([request('https://www.10086.cn/b', { resourceType: 'font' }), request('https://www.10086.cn/c', { resourceType: 'other', method: 'OPTIONS' })])).toEqual([
      'file',
      'connected',
    ]);
  });

  it('maps CDP resource types to webRequest’s', () => {
    const type = (resourceType: string, targetType = 'page') => webRequestType({ resourceType, targetType });
    expect(['script', 'image', 'stylesheet', 'font', 'media', 'websocket', 'ping'].map((t) => type(t))).toEqual(['script', 'image', 'stylesheet', 'font', 'media', 'websocket', 'ping']);
    expect(['xhr', 'fetch', 'eventsource'].map((t) => type(t))).toEqual(['xmlhttprequest', 'xmlhttprequest', 'xmlhttprequest']);
    expect(['manifest', 'prefetch', 'preflight', 'other', 'texttrack'].map((t) => type(t))).toEqual(['other', 'other', 'other', 'other', 'other']);
    expect(type('cspviolationreport')).toBe('csp_report');
    expect(type('document', 'worker')).toBe('sub_frame');
    expect(sentData({ method: 'head', resourceType: 'fetch', targetType: 'page', bodyBytes: 0 })).toBe(false);
    expect(sentData({ method: 'put', resourceType: 'fetch', targetType: 'page', bodyBytes: 0 })).toBe(true);
  });

  it('orders endpoints by operator, then first seen', () => {
    const report = buildPageReport(
      page([
        request('https://www.10010.com/a.js'),
        request('https://b.example.net/', { ip: '202.97.1.1' }),
        request('https://www.cmpassport.com/a.js'),
        request('https://a.example.net/', { ip: '218.30.48.1' }),
        request('https://www.10086.cn/a.js'),
      ]),
      classifier,
    );
    expect(report.flagged.map((e) => [e.operatorId, e.host])).toEqual([
      ['china-mobile', 'www.cmpassport.com'],
      ['china-mobile', 'www.10086.cn'],
      ['china-telecom', 'b.example.net'],
      ['china-telecom', 'a.example.net'],
      ['china-unicom', 'www.10010.com'],
    ]);
  });

  it('follows the settings: operators off, threshold, the user’s own domains and ranges', () => {
    const custom = createClassifier(data, {
      enabledOperators: ['china-telecom', 'custom'],
      user: { asns: [], allowlist: [], domains: [{ domain: 'tracker.example', operatorId: 'custom' }], cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-telecom' }] },
    });
    const report = buildPageReport(
      page([request('https://www.cmpassport.com/a.js'), request('https://t.tracker.example/p'), request('https://x.example.org/', { ip: '198.51.100.7' })]),
      custom,
    );
    expect(report.flagged.map((e) => [e.host, e.operatorId, e.meaning])).toEqual([
      ['x.example.org', 'china-telecom', 'Its IP is in a range you added for China Telecom.'],
      ['t.tracker.example', 'custom', 'Domain tracker.example is on your custom list.'],
    ]);
  });

  it('searches scripts for latent references, once per script position', () => {
    const script = { url: 'https://shop.example.com/login.js', source: 'a\n  var h="https://enrichgw.10010.com/auth"', startLine: 0, startColumn: 0 };
    const report = buildPageReport(page([], { scripts: [script, script] }), classifier);
    expect(report.latent).toEqual([
      expect.objectContaining({ domain: 'enrichgw.10010.com', operatorId: 'china-unicom', scriptUrl: script.url, line: 2, column: 18 }),
    ]);
  });

  it('searches every request for the canaries with --interact only', () => {
    const canaries = makeCanaries();
    const requests = [
      request(`https://collect.example.org/p?e=${encodeURIComponent(canaries.email)}`, { resourceType: 'xhr' }),
      request('https://log.cmpassport.com/api', { resourceType: 'fetch', method: 'POST', bodyBytes: 40 }),
    ];
    const payloads = [{ request: requests[1]!, texts: [`{"m":"${canaries.phone}"}`, `{"m":"${canaries.phone}"}`] }];
    expect(buildPageReport(page(requests, { payloads }), classifier).canaryLeaks).toEqual([]);
    const report = buildPageReport(page(requests, { payloads }), classifier, { canaries });
    expect(report.canaryLeaks.map((l) => [l.canary, l.host, l.where, l.encoding, l.flagged])).toEqual([
      ['email', 'collect.example.org', 'url', 'url-encoded', false],
      ['phone', 'log.cmpassport.com', 'body', 'plain', true],
    ]);
  });

  it('keeps what the caller found and reports an error page', () => {
    const report = buildPageReport(page([], { status: 'error', error: null, finalUrl: null, latent: [], canaryLeaks: [] }), classifier);
    expect(report).toMatchObject({ status: 'error', error: 'the page could not be audited', finalUrl: null, flagged: [] });
  });
});

function pageReport(patch: Partial<PageReport> = {}): PageReport {
  return { url: PAGE, finalUrl: PAGE, status: 'ok', error: null, durationMs: 1, flagged: [], latent: [], canaryLeaks: [], requests: 1, websockets: 0, ...patch };
}

describe('buildAuditReport and exitCodeOf', () => {
  const flaggedPage = buildPageReport(page([request('https://www.cmpassport.com/a.js')]), classifier);
  const latentPage = pageReport({ latent: [{ domain: 'cmpassport.com', operatorId: 'china-mobile', scriptUrl: 'https://a.test/a.js', line: 1, column: 1, excerpt: '' }] });
  const leakPage = pageReport({ canaryLeaks: [{ canary: 'phone', host: 'a.test', requestUrl: 'https://a.test/?p=1', encoding: 'md5', where: 'url', flagged: false }] });
  const errorPage = pageReport({ status: 'error', error: 'timeout after 30 s', finalUrl: null });

  it('sums up the pages', () => {
    const report = buildAuditReport({
      version: '0.1.0',
      startedAt: new Date(Date.UTC(2026, 5, 1, 12, 0, 0)),
      finishedAt: '2026-06-01T12:00:05+02:00',
      browser: { path: '/usr/bin/chromium', version: 'Chromium 140' },
      data: { listVersion: 'sha256:abc', tableDate: '2026-06-17' },
      options: { interact: false, concurrency: 2, timeoutMs: 30_000 },
      pages: [flaggedPage, latentPage, leakPage, errorPage, pageReport()],
    });
    expect(report).toMatchObject({
      format: 1,
      tool: { name: 'carrier-watch', version: '0.1.0' },
      startedAt: '2026-06-01T12:00:00.000Z',
      finishedAt: '2026-06-01T10:00:05.000Z',
      summary: { pages: 5, errors: 1, flaggedPages: 3, flaggedEndpoints: 1, latent: 1, canaryLeaks: 1 },
    });
    // The contract's field names, as scripts read them.
    const json = JSON.parse(JSON.stringify(report));
    expect(Object.keys(json.pages[0])).toEqual(expect.arrayContaining(['url', 'finalUrl', 'status', 'error', 'flagged', 'latent', 'canaryLeaks']));
    expect(Object.keys(json.pages[0].flagged[0])).toEqual(expect.arrayContaining(['host', 'ip', 'operatorId', 'matchedBy', 'kinds', 'requests', 'frameUrl', 'initiators']));
  });

  it('exits 2 on any page error, even with findings; 1 on any finding; else 0', () => {
    expect(exitCodeOf({ pages: [pageReport(), pageReport()] })).toBe(0);
    expect(exitCodeOf({ pages: [pageReport(), flaggedPage] })).toBe(1);
    expect(exitCodeOf({ pages: [latentPage] })).toBe(1);
    expect(exitCodeOf({ pages: [leakPage] })).toBe(1);
    expect(exitCodeOf({ pages: [flaggedPage, errorPage] })).toBe(2);
    expect(exitCodeOf({ pages: [errorPage] })).toBe(2);
    expect(exitCodeOf({ pages: [] })).toBe(2);
  });
});

describe('operatorDisplayName and dataInfo', () => {
  it('names operators as the extension does in English', () => {
    expect(operatorDisplayName('china-unicom')).toBe('China Unicom');
    expect(operatorDisplayName('custom')).toBe('Your custom entries');
  });

  it('identifies the list by a hash of its files and the table by its date', () => {
    const files = readListFiles();
    const info = dataInfo(files, { source: { version: '2.3', dataDate: '2026-06-17' } });
    expect(info.listVersion).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(info.tableDate).toBe('2026-06-17');
    expect(dataInfo({ ...files, domainsTsv: `${files.domainsTsv}\n` }, { source: { version: '', dataDate: '' } }).listVersion).not.toBe(info.listVersion);
  });
});
