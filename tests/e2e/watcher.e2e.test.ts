/**
 * The background watcher in real Chromium and Firefox ESR: every case of the background issue
 * drives real pages on loopback and asserts on the badge, the per-tab state the background
 * mirrors to storage.session, the site log in storage.local, and what the server saw.
 *
 * "Flagged" here comes from the extension's own settings: flagged.test is a China Mobile
 * domain and 127.0.0.2 a China Telecom address, so both the domain and the IP paths run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { LOOPBACK_FLAGGED_SETTINGS as SETTINGS } from './lib/flagged-settings.ts';
import type { TabState } from '../../src/background/tab-tracker.ts';
import type { SiteLog } from '../../src/background/site-log.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import { badgeIs as waitForBadge, endpointOf, settle, storedTab } from './lib/waits.ts';
import { cacheable, html, image, manyRequestsPage, page, PAGE_DONE_FLAG, redirect, script, startServer, text, type TestServer } from './lib/server.ts';

const HOSTS: HostMap = {
  'site-a.test': '127.0.0.1',
  'site-b.test': '127.0.0.1',
  'clean.test': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'api.flagged.test': '127.0.0.1',
  'ct.test': '127.0.0.2',
  'cdn2.test': '127.0.0.2',
  '*.bulk.test': '127.0.0.2',
  // The service-worker page's own origin: Chromium's MAP * rule would otherwise catch it too.
  '127.0.0.1': '127.0.0.1',
};


const BULK_HOSTS = 1000;
const BULK_REQUESTS = 10_000;

function sites(s: TestServer): void {
  const a = (path: string) => s.url('site-a.test', path);
  s.site('site-a.test', {
    '/': page({
      title: 'three flagged endpoints',
      scripts: [s.url('cdn.flagged.test', '/lib.js')],
      images: [s.url('ct.test', '/p.gif'), s.url('clean.test', '/p.gif')],
      fetches: [s.url('api.flagged.test', '/api'), s.url('api.flagged.test', '/api')],
    }),
    '/redirects': page({ fetches: [a('/r1')] }),
    '/r1': redirect(s.url('cdn.flagged.test', '/r2')),
    '/end': text('end of chain', { 'access-control-allow-origin': '*' }),
    '/frames': page({ iframes: [s.url('site-b.test', '/inner')] }),
    '/cache-1': page({ scripts: [s.url('cdn2.test', '/cached.js')] }),
    '/cache-2': page({ scripts: [s.url('cdn2.test', '/cached.js')] }),
    '/fail': page({ fetches: [s.url('api.flagged.test', '/reset')] }),
    '/stop': page({ scripts: [s.url('cdn.flagged.test', '/s1.js')] }),
    '/pre-start': html(`<!doctype html><title>prerender start</title>
<script type="speculationrules">{"prerender":[{"source":"list","urls":["/pre-next"]}]}</script>
<a id="next" href="/pre-next">next</a>`),
    '/pre-next': page({ title: 'prerendered', scripts: [s.url('api.flagged.test', '/pre.js')] }),
    '/bf-a': page({
      title: 'bfcache A',
      scripts: [s.url('cdn.flagged.test', '/bf.js')],
      extraHtml: `<script>addEventListener('pageshow', (e) => { window.__cwRestored = e.persisted; });</script>`,
    }),
    '/bf-b': page({ title: 'bfcache B' }),
    '/bulk': manyRequestsPage(s.port, { hosts: BULK_HOSTS, requests: BULK_REQUESTS, hostSuffix: 'bulk.test' }),
    '/n': text('ok'),
  });
  s.site('site-b.test', {
    '/inner': page({ title: 'inner frame', scripts: [s.url('api.flagged.test', '/in-frame.js')] }),
    '/landing': page({ title: 'landed' }),
    '/visit': page({ scripts: [s.url('cdn.flagged.test', '/v.js')] }),
  });
  s.site('clean.test', { '/': page({ title: 'nothing flagged' }), '/p.gif': image() });
  s.site('cdn.flagged.test', {
    '/lib.js': script(),
    '/r2': redirect(s.url('ct.test', '/r3')),
    '/s1.js': script(),
    '/bf.js': script(),
    '/v.js': script(),
  });
  s.site('api.flagged.test', {
    '/api': text('ok', { 'access-control-allow-origin': '*' }),
    '/in-frame.js': script(),
    '/pre.js': script(),
    '/s2': text('ok', { 'access-control-allow-origin': '*' }),
    '/from-sw': text('ok'),
    // A connection reset: the request fails (onErrorOccurred) after reaching the server.
    '/reset': ({ raw }) => {
      raw.socket.destroy();
      return { status: 500 };
    },
  });
  s.site('ct.test', {
    '/p.gif': image(),
    '/r3': redirect(a('/end')),
    '/s3': text('ok', { 'access-control-allow-origin': '*' }),
    '/bounce': redirect(s.url('site-b.test', '/landing')),
  });
  s.site('cdn2.test', { '/cached.js': cacheable(script('window.__cached = true;'), 600) });
  // A page on an IP literal: a potentially trustworthy origin, so it may register a service worker.
  s.site('127.0.0.1', {
    '/sw-page': html(`<!doctype html><title>service worker</title><script>
(async () => {
  const reg = await navigator.serviceWorker.register('/sw.js');
  const worker = reg.installing || reg.waiting || reg.active;
  if (worker.state !== 'activated') await new Promise((r) => worker.addEventListener('statechange', () => worker.state === 'activated' && r()));
  navigator.serviceWorker.addEventListener('message', (e) => { window.__cwSwReply = e.data; window.${PAGE_DONE_FLAG} = true; });
  worker.postMessage('${s.url('api.flagged.test', '/from-sw')}');
})();
</script>`),
    '/sw.js': script(
      `self.addEventListener('message', (e) => e.waitUntil(fetch(e.data, { mode: 'no-cors' }).then(() => e.source.postMessage('fetched'))));`,
    ),
  });
}

for (const kind of BROWSER_KINDS) {
  describe(`background watcher in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      server = await startServer();
      sites(server);
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS, backgroundIdleTimeoutMs: 1500 });
      await b.waitForBackground();
      await b.setStorage('local', { settings: SETTINGS });
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    async function open(path: string, host = 'site-a.test'): Promise<{ p: Page; tabId: number }> {
      const p = await br().newPage();
      await settle(p, srv().url(host, path));
      return { p, tabId: await br().tabIdOf(p) };
    }

    const badgeIs = (tabId: number, text: string) => waitForBadge(br(), tabId, text);
    const stored = (tabId: number, what: string, accept: (state: TabState) => boolean) => storedTab(br(), tabId, what, accept);
    const endpoint = endpointOf;
    const hosts = (state: TabState) => (state.current?.endpoints.map((e) => e.host) ?? []).sort();

    it('counts distinct flagged endpoints on the badge, names the operators, and stores the details', async () => {
      const { p, tabId } = await open('/');
      const badge = await badgeIs(tabId, '3');
      expect(badge.title).toBe('Carrier Watch: China Mobile: 2, China Telecom: 1');
      const state = await stored(tabId, 'three endpoints', (s) => s.current?.endpoints.length === 3 && endpoint(s, 'api.flagged.test')?.count === 2);
      expect(hosts(state)).toEqual(['api.flagged.test', 'cdn.flagged.test', 'ct.test']);
      expect(endpoint(state, 'cdn.flagged.test')).toMatchObject({
        operatorId: 'china-mobile',
        matchedBy: ['domain'],
        ips: ['127.0.0.1'],
        types: ['script'],
        party: 'third',
        count: 1,
      });
      expect(endpoint(state, 'ct.test')).toMatchObject({ operatorId: 'china-telecom', matchedBy: ['ip'], ips: ['127.0.0.2'], types: ['image'] });
      // As many as the server answered: nothing missed, nothing counted twice.
      expect(endpoint(state, 'api.flagged.test')!.count).toBe(srv().requests({ host: 'api.flagged.test', path: '/api' }).filter((r) => r.method === 'GET').length);
      expect(state.current!.requests).toBeGreaterThanOrEqual(6);
      await p.close();
    });

    it('keeps the page view through pushState and #hash, and starts a new one on navigation', async () => {
      const { p, tabId } = await open('/');
      await badgeIs(tabId, '3');
      const before = await stored(tabId, 'first page view', (s) => s.current?.endpoints.length === 3);
      await p.evaluate(() => history.pushState({}, '', '/spa/2'));
      await p.evaluate(() => (location.hash = '#section'));
      const after = await stored(tabId, 'URL moved to #section', (s) => s.current?.url.endsWith('/spa/2#section') === true);
      expect(after.current!.id).toBe(before.current!.id);
      expect((await br().badge(tabId)).text).toBe('3');
      await settle(p, srv().url('clean.test', '/'));
      await badgeIs(tabId, '');
      const clean = await stored(tabId, 'a new page view', (s) => s.current?.id !== before.current!.id);
      expect(clean.current!.endpoints).toEqual([]);
      await p.close();
    });

    it('classifies every hop of a redirect chain, and a redirected navigation counts for the page it lands on', async () => {
      const { p, tabId } = await open('/redirects');
      const state = await stored(tabId, 'both hops', (s) => endpoint(s, 'cdn.flagged.test') !== undefined && endpoint(s, 'ct.test') !== undefined);
      expect(endpoint(state, 'cdn.flagged.test')).toMatchObject({ matchedBy: ['domain'], count: 1 });
      expect(endpoint(state, 'ct.test')).toMatchObject({ matchedBy: ['ip'], ips: ['127.0.0.2'], count: 1 });
      expect(srv().requests({ host: 'ct.test', path: '/r3' })).toHaveLength(1);

      await settle(p, srv().url('ct.test', '/bounce'));
      expect(p.url()).toContain('/landing');
      const landed = await stored(tabId, 'the landing page with its redirect hop', (s) => s.current?.url.endsWith('/landing') === true && endpoint(s, 'ct.test') !== undefined);
      expect(endpoint(landed, 'ct.test')).toMatchObject({ types: ['main_frame'], ips: ['127.0.0.2'] });
      await badgeIs(tabId, '1');
      await p.close();
    });

    it('counts the requests of iframes for the tab, naming the frame', async () => {
      const { p, tabId } = await open('/frames');
      await p.waitForFrame((f) => f.url().includes('/inner'));
      const state = await stored(tabId, 'the frame script', (s) => endpoint(s, 'api.flagged.test') !== undefined);
      expect(endpoint(state, 'api.flagged.test')!.frames).toContain(srv().url('site-b.test', '/inner'));
      await badgeIs(tabId, '1');
      await p.close();
    });

    it('ties a service worker request (no tab) to the tab showing its origin', async () => {
      const { p, tabId } = await open('/sw-page', '127.0.0.1');
      expect(await p.evaluate(() => (window as { __cwSwReply?: string }).__cwSwReply)).toBe('fetched');
      const state = await stored(tabId, 'the worker fetch', (s) => endpoint(s, 'api.flagged.test') !== undefined);
      expect(endpoint(state, 'api.flagged.test')).toMatchObject({ viaWorker: true, operatorId: 'china-mobile' });
      await badgeIs(tabId, '1');
      await p.close();
    });

    it('gives a response served from the disk cache the IP it had', async () => {
      const first = await open('/cache-1');
      await stored(first.tabId, 'first load', (s) => endpoint(s, 'cdn2.test') !== undefined);
      // A new tab, so Chromium's per-renderer memory cache cannot answer (it sends no events).
      const second = await open('/cache-2');
      const state = await stored(second.tabId, 'the cached script', (s) => endpoint(s, 'cdn2.test') !== undefined);
      expect(srv().requests({ host: 'cdn2.test', path: '/cached.js' })).toHaveLength(1);
      expect(endpoint(state, 'cdn2.test')).toMatchObject({ matchedBy: ['ip'], ips: ['127.0.0.2'], operatorId: 'china-telecom' });
      await first.p.close();
      await second.p.close();
    });

    it('counts a failed request as an attempted contact', async () => {
      const { p, tabId } = await open('/fail');
      const state = await stored(tabId, 'the failed fetch', (s) => endpoint(s, 'api.flagged.test') !== undefined);
      expect(endpoint(state, 'api.flagged.test')!.errors).toBeGreaterThanOrEqual(1);
      await badgeIs(tabId, '1');
      await p.close();
    });

    it('keeps two tabs apart', async () => {
      const one = await open('/');
      const two = await open('/', 'clean.test');
      await badgeIs(one.tabId, '3');
      await badgeIs(two.tabId, '');
      const state = await stored(two.tabId, 'the clean page', (s) => s.current?.url.includes('clean.test') === true);
      expect(state.current!.endpoints).toEqual([]);
      await one.p.close();
      await two.p.close();
    });

    it('grows the per-site log across two visits', async () => {
      const log = async () => ((await br().storage('local'))['site:site-b.test'] as SiteLog | undefined)?.visits.length ?? 0;
      const before = await log();
      const { p } = await open('/visit', 'site-b.test');
      await pollUntil('first visit logged', log, (n) => n === before + 1);
      await settle(p, srv().url('site-b.test', '/visit'));
      await pollUntil('second visit logged', log, (n) => n === before + 2);
      const site = (await br().storage('local'))['site:site-b.test'] as SiteLog;
      expect(site.visits.at(-1)!.endpoints.map((e) => e.host)).toEqual(['cdn.flagged.test']);
      expect(site.visits.at(-1)!.url).toBe(srv().url('site-b.test', '/visit'));
      await p.close();
    });

    it.skipIf(kind === 'firefox')('keeps a prerendered page apart until it is shown, then the tab takes its log (Chromium)', async () => {
      const p = await br().newPage();
      await p.goto(srv().url('site-a.test', '/pre-start'), { waitUntil: 'load' });
      const tabId = await br().tabIdOf(p);
      await srv().waitForRequest('the prerendered page script', (r) => r.path === '/pre.js');
      // The prerendered page view that holds the script. Not "exactly one prerendered view": once
      // (1 run in ~10) Chromium reported the script under a documentId other than the one its
      // prerender commit named, leaving two; the tracker keeps both (bounded) and adopts the one
      // that is activated, which the assertions below check.
      const hidden = await stored(tabId, 'a prerendered page view with the script', (s) =>
        Object.values(s.prerendered).some((v) => v.endpoints.some((e) => e.host === 'api.flagged.test')),
      );
      expect(hidden.current!.endpoints).toEqual([]);
      expect((await br().badge(tabId)).text).toBe('');
      await p.click('#next');
      await badgeIs(tabId, '1');
      const shown = await stored(tabId, 'the activated page', (s) => s.current?.url.endsWith('/pre-next') === true);
      expect(shown.current!.endpoints.map((e) => e.host)).toEqual(['api.flagged.test']);
      // Activation reused the prerendered document: nothing was fetched again.
      expect(srv().requests({ path: '/pre-next' })).toHaveLength(1);
      await p.close();
    });

    it('shows the restored page after a back/forward-cache restore', async () => {
      const { p, tabId } = await open('/bf-a');
      await badgeIs(tabId, '1');
      await settle(p, srv().url('site-a.test', '/bf-b'));
      await badgeIs(tabId, '');
      await p.evaluate(() => history.back());
      const restored = await pollUntil(
        'page A shown again',
        () => p.evaluate(() => (window as { __cwRestored?: boolean }).__cwRestored),
        (value) => value !== undefined,
      );
      // Chromium restores from the back/forward cache. Firefox driven over WebDriver BiDi
      // reloads instead (persisted stayed false with every pref tried), so there this checks
      // the back navigation; the no-documentId restore path is covered by unit tests.
      if (kind === 'chromium') {
        expect(restored).toBe(true);
        expect(srv().requests({ path: '/bf.js' })).toHaveLength(1);
      }
      await badgeIs(tabId, '1');
      const state = await stored(tabId, 'page A again, with its endpoint', (s) => s.current?.url.endsWith('/bf-a') === true && s.current.endpoints.length > 0);
      expect(state.current!.endpoints.map((e) => e.host)).toEqual(['cdn.flagged.test']);
      await p.close();
    });

    it('loses nothing when the background stops in the middle of a page', async () => {
      const { p, tabId } = await open('/stop');
      await stored(tabId, 'the first script saved', (s) => endpoint(s, 'cdn.flagged.test') !== undefined);
      await br().stopBackground();
      expect(await br().backgroundRunning()).toBe(false);
      // The page goes on: these wake the background again.
      await p.evaluate(async (u2: string, u3: string) => {
        await fetch(u2);
        await fetch(u3);
      }, srv().url('api.flagged.test', '/s2'), srv().url('ct.test', '/s3'));
      await br().waitForBackground();
      const state = await stored(tabId, 'all three endpoints', (s) => s.current?.endpoints.length === 3);
      for (const [host, path] of [['cdn.flagged.test', '/s1.js'], ['api.flagged.test', '/s2'], ['ct.test', '/s3']] as const) {
        expect(endpoint(state, host)!.count, host).toBe(srv().requests({ host, path }).length);
      }
      await badgeIs(tabId, '3');
      await p.close();
    });

    it('stays bounded and responsive on a page making 10,000 requests', { timeout: 240_000 }, async () => {
      const p = await br().newPage();
      await p.goto(srv().url('site-a.test', '/bulk'), { waitUntil: 'load' });
      // Polled from here: one long in-page wait outlives the BiDi protocol timeout in Firefox.
      await pollUntil('10,000 requests done', () => p.evaluate(`window.${PAGE_DONE_FLAG} === true`), (done) => done === true, {
        timeoutMs: 200_000,
        intervalMs: 1000,
      });
      const tabId = await br().tabIdOf(p);
      // The background's own view first (the popup's question), then storage catching up.
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      const ask = () =>
        popup.evaluate(
          (id: number) => (globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }).chrome.runtime.sendMessage({ type: 'get-tab', tabId: id }),
          tabId,
        ) as Promise<{ tab: TabState }>;
      const served = srv().requests({ host: 'site-a.test' }).length + srv().requests().filter((r) => r.host.endsWith('.bulk.test')).length;
      const live = await pollUntil('the background counting every request', ask, (reply) => (reply.tab.current?.requests ?? 0) >= BULK_REQUESTS, { timeoutMs: 30_000 });
      expect(live.tab.current!.endpoints).toHaveLength(200);
      expect(served).toBeGreaterThanOrEqual(BULK_REQUESTS);
      const state = await stored(tabId, 'storage caught up', (s) => s.current?.requests === live.tab.current!.requests);
      expect(state.current!.endpoints).toHaveLength(200);
      expect(state.current!.spilled).toBe(BULK_HOSTS - 200);
      await badgeIs(tabId, '200+');
      const bytes = JSON.stringify(await br().storage('session')).length;
      console.log(`[e2e] ${kind}: storage.session after ${BULK_REQUESTS} requests: ${bytes} bytes`);
      expect(bytes).toBeLessThan(400_000);
      await popup.close();
      await p.close();
    });
  });
}
