import { createClassifier } from '../src/data/engine-data.ts';
import { loadEngineDataFromDisk } from '../src/data/node.ts';
import { runAudit } from '../src/audit/run.ts';
import { CHROMIUM_PATH } from '../tests/e2e/lib/chromium.ts';
import { html, image, json, script, startServer, text, type TestServer } from '../tests/e2e/lib/server.ts';

// What the site audit costs (src/audit): the time to audit one page, and
// 20 pages at concurrency 1, 2 and 4 with one browser (wall time and pages
// per second). The pages are login pages of a common shape: three scripts,
// four images, a cross-site (out-of-process) iframe, a dedicated worker, and
// fetches, one of them to a flagged host (www.cmpassport.com, mapped to
// loopback). Each page audit ends with the network quiet for 1 s (late
// requests from workers and timers), which sets its floor. Prints figures;
// asserts nothing.

export const AUDIT_BENCH_PAGES = 20;
export const AUDIT_BENCH_CONCURRENCY = [1, 2, 4] as const;

export interface AuditRunFigures {
  concurrency: number;
  pages: number;
  /** From the browser answering to the last page done (the browser's launch apart). */
  wallMs: number;
  pagesPerSecond: number;
  /** Each page's own audit time (PageReport.durationMs). */
  pageMs: number[];
  errors: number;
  flaggedPages: number;
  launchMs: number;
}

export interface AuditFigures {
  browser: string;
  runs: AuditRunFigures[];
}

const HOST = 'shop.test';
const FRAME_HOST = 'widget.test';
const FLAGGED_HOST = 'www.cmpassport.com';

function sites(s: TestServer): void {
  const routes: Record<string, ReturnType<typeof html>> = {};
  for (let i = 0; i < AUDIT_BENCH_PAGES; i++) {
    routes[`/login/${i}`] = html(`<!doctype html><title>Log in ${i}</title>
<link rel="icon" href="data:,">
<script src="/js/vendor.js?${i}"></script><script src="/js/app.js?${i}"></script><script src="/js/sdk.js?${i}"></script>
<img src="/img/a.gif?${i}" alt=""><img src="/img/b.gif?${i}" alt=""><img src="/img/c.gif?${i}" alt=""><img src="/img/d.gif?${i}" alt="">
<iframe src="http://${FRAME_HOST}:${s.port}/widget?${i}"></iframe>
<form><input type="email" name="email"><input type="password" name="password"></form>
<script>
new Worker('/js/worker.js?${i}');
fetch('/api/config?${i}').then((r) => r.json());
fetch('http://${FLAGGED_HOST}:${s.port}/openapi/rs/preGetMobile', { method: 'POST', body: 'appid=${i}' });
</script>`);
  }
  const lib = `/* a library */\n${'function f(a){return a*2}\n'.repeat(2000)}`;
  s.site(HOST, {
    ...routes,
    '/js/vendor.js': script(lib),
    '/js/app.js': script(`document.title += ' ready';`),
    '/js/sdk.js': script(`window.SDK = { endpoint: '/api/events' };`),
    '/js/worker.js': script(`fetch('/api/ping');`),
    '/img/a.gif': image(),
    '/img/b.gif': image(),
    '/img/c.gif': image(),
    '/img/d.gif': image(),
    '/api/config': json({ ok: true }),
    '/api/ping': text('pong'),
  });
  s.site(FRAME_HOST, { '/widget': html(`<!doctype html><script>fetch('/w/data')</script>`), '/w/data': json({}) });
  s.site(FLAGGED_HOST, { '/openapi/rs/preGetMobile': json({ resultCode: '103000' }) });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runAuditBench(log: (line: string) => void = () => undefined): Promise<AuditFigures> {
  const server = await startServer();
  sites(server);
  const rules = [`MAP ${HOST} 127.0.0.1`, `MAP ${FRAME_HOST} 127.0.0.1`, `MAP ${FLAGGED_HOST} 127.0.0.1`, 'MAP * ~NOTFOUND'].join(', ');
  const classifier = createClassifier(loadEngineDataFromDisk(), { minConfidence: 'medium' });
  const urls = Array.from({ length: AUDIT_BENCH_PAGES }, (_, i) => server.url(HOST, `/login/${i}`));
  const figures: AuditFigures = { browser: '', runs: [] };
  try {
    // A warm-up run (one page) so the first measured run does not pay for cold disk caches.
    await runAudit({ urls: urls.slice(0, 1), browserPath: CHROMIUM_PATH, browserArgs: [`--host-resolver-rules=${rules}`], classifier });
    for (const concurrency of AUDIT_BENCH_CONCURRENCY) {
      log(`audit: ${urls.length} pages at concurrency ${concurrency}`);
      const result = await runAudit({ urls, browserPath: CHROMIUM_PATH, browserArgs: [`--host-resolver-rules=${rules}`], classifier, concurrency, timeoutMs: 30_000 });
      figures.browser = result.browserVersion;
      figures.runs.push({
        concurrency,
        pages: result.pages.length,
        wallMs: result.pagesMs,
        pagesPerSecond: result.pages.length / (result.pagesMs / 1000),
        pageMs: result.pages.map((p) => p.durationMs),
        errors: result.pages.filter((p) => p.status === 'error').length,
        flaggedPages: result.pages.filter((p) => p.flagged.length > 0).length,
        launchMs: result.launchMs,
      });
    }
  } finally {
    await server.close();
  }
  return figures;
}

/** The figures as the bench prints them, one line each. */
export function auditFigureLines(figures: AuditFigures): string[] {
  const lines = [`browser: ${figures.browser}`];
  const first = figures.runs[0];
  if (first) {
    lines.push(`one page (concurrency 1), median of ${first.pageMs.length}: ${median(first.pageMs).toFixed(0)} ms (min ${Math.min(...first.pageMs).toFixed(0)}, max ${Math.max(...first.pageMs).toFixed(0)}; of which ≥ 1000 ms waiting for a quiet network); browser start ${first.launchMs} ms`);
  }
  for (const run of figures.runs) {
    lines.push(
      `${run.pages} pages at concurrency ${run.concurrency}: ${(run.wallMs / 1000).toFixed(2)} s, ${run.pagesPerSecond.toFixed(2)} pages/s, page median ${median(run.pageMs).toFixed(0)} ms` +
        `${run.errors ? `, ${run.errors} ERRORS` : ''}; flagged on ${run.flaggedPages}/${run.pages}`,
    );
  }
  return lines;
}

export { median as auditMedian };
