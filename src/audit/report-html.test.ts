import { Window } from 'happy-dom';
import { auditedRequest } from './test-fixtures.ts';
import { describe, expect, it } from 'vitest';
import { createClassifier } from '../data/engine-data.ts';
import { loadEngineDataFromDisk } from '../data/node.ts';
import { buildAuditReport, buildPageReport } from './report.ts';
import { esc, renderHtmlReport } from './report-html.ts';
import type { AuditReport, AuditedRequest, PageReport } from './report-types.ts';

const classifier = createClassifier(loadEngineDataFromDisk());
const EVIL = `https://shop.example.com/?q="><script>alert(1)</script>&x='y'`;
const EVIL_SCRIPT = `https://shop.example.com/<img src=x onerror=alert(1)>.js`;

const request = (url: string, patch: Partial<AuditedRequest> = {}): AuditedRequest => auditedRequest(url, EVIL, patch);

function sample(interact = true): AuditReport {
  const flagged = buildPageReport(
    {
      url: EVIL,
      finalUrl: EVIL,
      status: 'ok',
      error: null,
      durationMs: 1400,
      requests: [
        request('https://log.cmpassport.com/sdk.js?"<b>', { parserLocation: { url: EVIL, line: 9, column: 5 }, ip: '203.0.113.9' }),
        request('https://log.cmpassport.com/api', {
          resourceType: 'fetch',
          method: 'POST',
          bodyBytes: 12,
          initiators: [
            { url: EVIL_SCRIPT, line: 12, column: 7, functionName: '<send>' },
            { url: 'https://shop.example.com/login.js', line: 40, column: 3, asyncBoundary: 'Promise.then' },
          ],
        }),
        request('https://img.example.net/a.png', { resourceType: 'image', ip: '202.97.1.1', fromCache: true }),
      ],
      latent: [{ domain: 'cmpassport.com', operatorId: 'china-mobile', scriptUrl: EVIL_SCRIPT, line: 3, column: 14, excerpt: '</code></td><script>x</script>"cmpassport.com"', host: 'www.cmpassport.com', written: 'plain' }],
      canaryLeaks: [{ canary: 'phone', host: 'collect.example.org', requestUrl: `https://collect.example.org/?h=abc&u="<i>`, encoding: 'sha256', where: 'url', flagged: false, form: 'SHA-256 hex (lower case) of the local number' }],
    },
    classifier,
  );
  const clean: PageReport = { url: 'https://clean.example.com/', finalUrl: 'https://clean.example.com/', status: 'ok', error: null, durationMs: 500, flagged: [], latent: [], canaryLeaks: [], requests: 3, websockets: 0 };
  const failed: PageReport = { url: 'https://down.example.com/', finalUrl: null, status: 'error', error: 'net::ERR_NAME_NOT_RESOLVED <"&>', durationMs: 30000, flagged: [], latent: [], canaryLeaks: [], requests: 0, websockets: 0 };
  return buildAuditReport({
    version: '0.1.0',
    startedAt: '2026-06-01T12:00:00Z',
    finishedAt: '2026-06-01T12:00:30Z',
    browser: { path: '/usr/bin/chromium', version: 'Chromium/140.0' },
    data: { listVersion: 'sha256:0123456789ab', tableDate: '2026-06-17' },
    options: { interact, concurrency: 2, timeoutMs: 30000 },
    pages: [flagged, clean, failed],
  });
}

function parse(html: string): Document {
  const window = new Window();
  window.document.write(html);
  return window.document as unknown as Document;
}

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(sample());
  const doc = parse(html);

  it('is one self-contained file: no script, no external resource, no clickable link out', () => {
    expect(doc.querySelectorAll('script, link, img, iframe, object, embed, form, base')).toHaveLength(0);
    expect(html).not.toMatch(/<script/i);
    expect(doc.querySelector('style')?.textContent).not.toMatch(/url\(|@import/i);
    for (const a of doc.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^#page-\d+$/);
    for (const el of doc.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) expect(/^on|^(src|srcset|action|formaction|style)$/.test(attr)).toBe(false);
    }
    expect(doc.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content')).toMatch(/default-src 'none'/);
  });

  it('escapes what came from the web, so it reads back exactly', () => {
    const pages = [...doc.querySelectorAll('[data-testid="page"]')];
    expect(pages.map((p) => p.getAttribute('data-url'))).toEqual([EVIL, 'https://clean.example.com/', 'https://down.example.com/']);
    expect(doc.querySelector('[data-testid="latent"] code.excerpt')?.textContent).toBe('</code></td><script>x</script>"cmpassport.com"');
    expect(doc.querySelector('[data-testid="page-error"]')?.textContent).toContain('net::ERR_NAME_NOT_RESOLVED <"&>');
    expect(doc.querySelector('[data-testid="canary-leak"] .url')?.textContent).toBe(`https://collect.example.org/?h=abc&u="<i>`);
    expect(esc(`<a href="x" onclick='y'>&amp;`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;');
  });

  it('groups by page then operator, with the endpoint’s data attributes', () => {
    const endpoints = [...doc.querySelectorAll('[data-testid="endpoint"]')];
    expect(endpoints.map((e) => [e.getAttribute('data-host'), e.getAttribute('data-operator')])).toEqual([
      ['log.cmpassport.com', 'china-mobile'],
      ['img.example.net', 'china-telecom'],
    ]);
    expect([...doc.querySelectorAll('.operator h4')].map((h) => h.textContent)).toEqual(['China Mobile (1)', 'China Telecom (1)']);
    expect(endpoints[0]!.closest('[data-testid="page"]')?.getAttribute('data-url')).toBe(EVIL);
  });

  it('shows each endpoint’s initiator stack as url:line:column, innermost first, async boundaries marked', () => {
    const [first, second] = [...doc.querySelectorAll('[data-testid="endpoint"]')];
    expect([...first!.querySelectorAll('[data-testid="initiator"]')].map((f) => f.textContent)).toEqual([`${EVIL_SCRIPT}:12:7`, 'https://shop.example.com/login.js:40:3']);
    expect(first!.querySelector('.stack .async')?.textContent).toBe('async: Promise.then');
    expect(first!.querySelector('.stack .fn')?.textContent).toBe('in <send>');
    // No script stack: nothing pretends to be one.
    expect(second!.querySelectorAll('[data-testid="initiator"]')).toHaveLength(0);
  });

  it('shows the match, what the page did, the frame, the IP and the evidence', () => {
    const first = doc.querySelector('[data-testid="endpoint"]')!;
    const text = first.textContent ?? '';
    expect(first.querySelector('.meaning')?.textContent).toBe('Domain cmpassport.com is listed for China Mobile. Phone-number login gateway.');
    expect(text).toContain('Sent data to it (POST)');
    expect(text).toContain('Ran a script from it');
    expect(text).toContain(EVIL);
    expect(text).toContain('203.0.113.9');
    expect(first.querySelectorAll('.evidence tbody tr')).toHaveLength(2);
    expect(first.querySelector('.evidence tbody tr .url')?.textContent).toBe('https://log.cmpassport.com/sdk.js?"<b>');
    const second = doc.querySelectorAll('[data-testid="endpoint"]')[1]!;
    expect(second.querySelector('.meaning')?.textContent).toBe("Hosted on China Telecom's network (AS4134).");
    expect(second.textContent).toContain('from cache');
  });

  it('lists latent references and canary leaks in their own sections', () => {
    const latent = doc.querySelector('[data-testid="latent"]')!;
    expect(latent.closest('section')?.className).toBe('latent');
    expect(latent.getAttribute('data-domain')).toBe('cmpassport.com');
    expect(latent.textContent).toContain(`${EVIL_SCRIPT}:3:14`);
    const leak = doc.querySelector('[data-testid="canary-leak"]')!;
    expect(leak.closest('section')?.className).toBe('leaks');
    expect([leak.getAttribute('data-canary'), leak.getAttribute('data-encoding'), leak.getAttribute('data-host')]).toEqual(['phone', 'sha256', 'collect.example.org']);
  });

  it('marks an errored page and says it is not known to be clean', () => {
    const errored = doc.querySelectorAll('[data-testid="page"]')[2]!;
    expect(errored.getAttribute('data-status')).toBe('error');
    expect(errored.querySelector('[data-testid="page-error"]')?.textContent).toMatch(/not known to be clean/);
    expect(doc.querySelectorAll('[data-testid="page-error"]')).toHaveLength(1);
  });

  it('leaves the canary section out when nothing was typed', () => {
    const quiet = parse(renderHtmlReport({ ...sample(false), pages: sample(false).pages.map((p) => ({ ...p, canaryLeaks: [] })) }));
    expect(quiet.querySelectorAll('section.leaks')).toHaveLength(0);
  });
});
