import { describe, expect, it } from 'vitest';
import type { AuditReport, FlaggedEndpoint, PageReport } from './report-types.ts';
import { formatProgress, formatSummary, progressLine, summaryText } from './summary.ts';

function endpoint(host: string, operator = 'China Mobile'): FlaggedEndpoint {
  return {
    host,
    ip: null,
    operatorId: 'china-mobile',
    operator,
    matchedBy: ['domain'],
    kinds: ['script'],
    requests: 1,
    frameUrl: null,
    initiators: [],
    evidence: [],
    meaning: '',
  };
}

const latent = { domain: 'cmpassport.com', operatorId: 'china-mobile' as const, scriptUrl: 'https://a.test/a.js', line: 1, column: 1, excerpt: '' };
const leak = { canary: 'phone', host: 'x.test', requestUrl: 'https://x.test/', encoding: 'md5' as const, where: 'url' as const, flagged: false };

function pageReport(url: string, patch: Partial<PageReport> = {}): PageReport {
  return { url, finalUrl: url, status: 'ok', error: null, durationMs: 1400, flagged: [], latent: [], canaryLeaks: [], requests: 5, websockets: 0, ...patch };
}

function report(pages: PageReport[], interact = false): AuditReport {
  return {
    format: 1,
    tool: { name: 'carrier-watch', version: '0.1.0' },
    startedAt: '2026-06-01T12:00:00.000Z',
    finishedAt: '2026-06-01T12:00:09.000Z',
    browser: { path: '/usr/bin/chromium', version: 'Chromium/140' },
    data: { listVersion: 'sha256:0123456789ab', tableDate: '2026-06-17' },
    options: { interact, concurrency: 1, timeoutMs: 30000 },
    pages,
    summary: {
      pages: pages.length,
      errors: pages.filter((p) => p.status === 'error').length,
      flaggedPages: 0,
      flaggedEndpoints: pages.reduce((n, p) => n + p.flagged.length, 0),
      latent: pages.reduce((n, p) => n + p.latent.length, 0),
      canaryLeaks: pages.reduce((n, p) => n + p.canaryLeaks.length, 0),
    },
  };
}

describe('formatProgress', () => {
  it('says per page what was found and how long it took', () => {
    expect(formatProgress(3, 20, pageReport('https://a.test/', { flagged: [endpoint('x.test'), endpoint('y.test')], latent: [latent] }))).toBe(
      '[ 3/20] https://a.test/ ok, 2 flagged, 1 latent (1.4 s)',
    );
    expect(formatProgress(1, 1, pageReport('https://a.test/'))).toBe('[1/1] https://a.test/ ok, nothing flagged (1.4 s)');
    expect(formatProgress(2, 2, pageReport('https://a.test/', { canaryLeaks: [leak, leak] }))).toBe('[2/2] https://a.test/ ok, 2 canary leaks (1.4 s)');
    expect(formatProgress(4, 20, pageReport('https://down.test/', { status: 'error', error: 'timeout after 30 s', durationMs: 30012 }))).toBe(
      '[ 4/20] https://down.test/ error: timeout after 30 s (30.0 s)',
    );
  });

  it('keeps a long URL’s start and end on one line', () => {
    const url = `https://a.test/${'x'.repeat(300)}/end.html`;
    const line = formatProgress(1, 1, pageReport(url));
    expect(line).toMatch(/^\[1\/1\] https:\/\/a\.test\/x+…x+\/end\.html ok/);
    expect(line.length).toBeLessThan(150);
  });

  it('never lets a page’s text drive the terminal', () => {
    const line = formatProgress(1, 1, pageReport('https://a.test/', { status: 'error', error: 'boom\u001B[2J\nnext\u009B' }));
    expect(line).toBe('[1/1] https://a.test/ error: boom\\u001b[2J\\u000anext\\u009b (1.4 s)');
    expect(line).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/);
  });

  it('colours the verdict only when asked', () => {
    expect(formatProgress(1, 1, pageReport('https://a.test/', { latent: [latent] }), { color: true })).toBe('[1/1] https://a.test/ \u001B[31mok\u001B[0m, 1 latent (1.4 s)');
  });
});

describe('formatSummary', () => {
  it('gives one line per page, the totals and where the reports went', () => {
    const pages = [
      pageReport('https://shop.test/login', { flagged: [endpoint('log.cmpassport.com'), endpoint('img.example.net', 'China Telecom')], latent: [latent], canaryLeaks: [leak] }),
      pageReport('https://clean.test/'),
      pageReport('https://down.test/', { status: 'error', error: 'net::ERR_NAME_NOT_RESOLVED' }),
    ];
    expect(formatSummary(report(pages, true), { dir: './carrier-watch-audit/', files: ['report.json', 'report.html', 'junit.xml'] }).split('\n')).toEqual([
      'Carrier Watch audit: 3 pages: 1 flagged, 1 clean, 1 error',
      '  FLAGGED https://shop.test/login  2 flagged (China Mobile: log.cmpassport.com; China Telecom: img.example.net), 1 latent, 1 canary leak',
      '  clean   https://clean.test/',
      '  ERROR   https://down.test/  net::ERR_NAME_NOT_RESOLVED',
      'Total: 2 flagged endpoints, 1 latent reference, 1 canary leak.',
      '1 page could not be audited: the scan is incomplete.',
      'Reports: ./carrier-watch-audit/report.json, ./carrier-watch-audit/report.html, ./carrier-watch-audit/junit.xml',
    ]);
  });

  it('names at most three hosts a page, and leaves out canaries and reports when there are none', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e'].map((h) => endpoint(`${h}.test`));
    expect(formatSummary(report([pageReport('https://p.test/', { flagged: hosts })]), { dir: 'out', files: ['report.json'] }).split('\n')).toEqual([
      'Carrier Watch audit: 1 page: 1 flagged, 0 clean, 0 errors',
      '  FLAGGED https://p.test/  5 flagged (China Mobile: a.test; China Mobile: b.test; China Mobile: c.test; 2 more)',
      'Total: 5 flagged endpoints, 0 latent references.',
      'Reports: out/report.json',
    ]);
    expect(formatSummary(report([pageReport('https://p.test/')]), null)).toBe(
      ['Carrier Watch audit: 1 page: 0 flagged, 1 clean, 0 errors', '  clean   https://p.test/', 'Total: 0 flagged endpoints, 0 latent references.'].join('\n'),
    );
  });
});

describe('progressLine and summaryText (run.ts’s names)', () => {
  it('are formatProgress and formatSummary with the three report files', () => {
    const page = pageReport('https://a.test/');
    expect(progressLine(page, 1, 2)).toBe(formatProgress(1, 2, page));
    expect(summaryText(report([page]), '/tmp/out')).toBe(`${formatSummary(report([page]), { dir: '/tmp/out', files: ['report.json', 'report.html', 'junit.xml'] })}\n`);
    expect(summaryText(report([page]))).toBe(`${formatSummary(report([page]), null)}\n`);
  });
});
