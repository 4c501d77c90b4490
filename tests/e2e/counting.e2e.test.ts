/**
 * What the page really loads, in real Chromium and Firefox ESR: resources served from the
 * memory, image and disk caches (which fire no webRequest event, or one without an IP) count
 * on the page that used them, in every frame; requests that send data are marked; the popup
 * says how each endpoint was reached. Asserts on the badge, the popup's DOM, the state in
 * storage.session and what the test server received.
 *
 * Flagged: flagged.test (a custom domain, China Mobile) and 127.0.0.2 (a custom range, China
 * Telecom), so both the domain and the IP paths run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TabState } from '../../src/background/tab-tracker.ts';
import { LOOPBACK_FLAGGED_SETTINGS as SETTINGS } from './lib/flagged-settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import { badgeIs as waitForBadge, endpointOf, settle, storedTab } from './lib/waits.ts';
import { cacheable, html, image, page, PAGE_DONE_FLAG, script, startServer, text, type TestServer } from './lib/server.ts';

const HOSTS: HostMap = {
  'site-a.test': '127.0.0.1',
  'site-b.test': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'pix.flagged.test': '127.0.0.1',
  'api.flagged.test': '127.0.0.1',
  'beacon.flagged.test': '127.0.0.1',
  'blank.flagged.test': '127.0.0.1',
  'ct.test': '127.0.0.2',
  // The service-worker page's own origin (an IP literal is a secure context over http).
  '127.0.0.1': '127.0.0.1',
};


function sites(s: TestServer): void {
  const sdk = s.url('cdn.flagged.test', '/sdk.js');
  const logo = s.url('ct.test', '/logo.gif');
  // A login page and a sign-up page that use the same cacheable flagged script and image.
  const authPage = (title: string) => page({ title, scripts: [sdk], images: [logo] });
  s.site('site-a.test', {
    '/login': authPage('login'),
    '/signup': authPage('sign up'),
    '/bf-a': page({ title: 'A', scripts: [s.url('cdn.flagged.test', '/bf.js')] }),
    '/bf-b': page({ title: 'B' }),
    // A cross-site iframe whose flagged resources are cacheable, and a srcdoc frame that
    // shows an image the top page loaded before.
    '/frames-1': page({ iframes: [s.url('site-b.test', '/inner')], images: [s.url('pix.flagged.test', '/p.gif'), s.url('blank.flagged.test', '/b.gif')] }),
    '/frames-2': page({
      iframes: [s.url('site-b.test', '/inner')],
      extraHtml: `<iframe srcdoc="&lt;img src=&quot;${s.url('pix.flagged.test', '/p.gif')}&quot;&gt;"></iframe>
        <script>
          // An about:blank frame the page fills itself: its image is that frame's resource.
          const blank = document.createElement('iframe');
          document.body.append(blank);
          const img = blank.contentDocument.createElement('img');
          img.src = ${JSON.stringify(s.url('blank.flagged.test', '/b.gif'))};
          blank.contentDocument.body.append(img);
        </script>`,
    }),
    '/send': page({
      extraHtml: `<script>
        window.__cwSent = Promise.all([
          fetch(${JSON.stringify(s.url('api.flagged.test', '/collect'))}, { method: 'POST', body: 'phone=13800000000' }).then((r) => r.status),
          navigator.sendBeacon(${JSON.stringify(s.url('beacon.flagged.test', '/b'))}, 'visit=1'),
        ]);
      </script>`,
      scripts: [s.url('cdn.flagged.test', '/plain.js')],
    }),
  });
  s.site('site-b.test', { '/inner': page({ title: 'inner', scripts: [s.url('cdn.flagged.test', '/frame.js')] }) });
  s.site('cdn.flagged.test', {
    '/sdk.js': cacheable(script('window.__sdk = true;')),
    '/bf.js': cacheable(script('window.__bf = true;')),
    '/frame.js': cacheable(script('window.__frame = true;')),
    '/plain.js': script(),
  });
  s.site('ct.test', { '/logo.gif': cacheable(image()) });
  s.site('pix.flagged.test', { '/p.gif': cacheable(image()) });
  s.site('blank.flagged.test', { '/b.gif': cacheable(image()) });
  // A page whose service worker answers a flagged script itself: no request reaches the network.
  s.site('127.0.0.1', {
    '/sw-page': html(`<!doctype html><title>service worker cache</title><script>
(async () => {
  await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  const script = document.createElement('script');
  script.src = ${JSON.stringify(s.url('cdn.flagged.test', '/from-sw.js'))};
  script.onload = () => (window.${PAGE_DONE_FLAG} = true);
  document.head.append(script);
})();
</script>`),
    '/sw.js': script(`
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (e) => {
  if (e.request.url.endsWith('/from-sw.js')) e.respondWith(new Response('window.__fromSw = true;', { headers: { 'content-type': 'text/javascript' } }));
});`),
  });
  s.site('api.flagged.test', { '/collect': text('ok') });
  s.site('beacon.flagged.test', { '/b': { status: 204 } });
}

interface Row {
  host: string;
  reached: string;
  kinds: string;
  did: string;
  ips: string;
  text: string;
}

// Runs in the popup page.
const readRows = (): Row[] =>
  [...document.querySelectorAll('li.endpoint')].map((li) => ({
    host: li.getAttribute('data-host') ?? '',
    reached: li.getAttribute('data-reached') ?? '',
    kinds: li.getAttribute('data-kinds') ?? '',
    did: li.querySelector('[data-testid=did]')?.textContent ?? '',
    ips: li.querySelector('[data-testid=ips]')?.textContent ?? '',
    text: li.textContent ?? '',
  }));

const endpoint = endpointOf;

for (const kind of BROWSER_KINDS) {
  describe(`counting what the page loads in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      server = await startServer();
      sites(server);
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS });
      await b.waitForBackground();
      await b.setStorage('local', { settings: SETTINGS });
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    const badgeIs = (tabId: number, value: string) => waitForBadge(br(), tabId, value);

    const stored = (tabId: number, what: string, accept: (state: TabState) => boolean) => storedTab(br(), tabId, what, accept);

    /** The popup's rows for a tab, once `accept` holds. */
    async function popupRows(tabId: number, what: string, accept: (rows: Row[]) => boolean): Promise<Row[]> {
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      try {
        return await pollUntil(`popup of tab ${tabId}: ${what}`, () => popup.evaluate(readRows), accept);
      } finally {
        await popup.close();
      }
    }

    it('counts the cached script and image of a sign-up page after the login page: 2 on both', async () => {
      const p = await br().newPage();
      await settle(p, srv().url('site-a.test', '/login'));
      const tabId = await br().tabIdOf(p);
      await badgeIs(tabId, '2');
      const login = await stored(tabId, 'the login page', (s) => s.current?.url.endsWith('/login') === true && s.current.endpoints.length === 2);
      expect(endpoint(login, 'cdn.flagged.test')).toMatchObject({ cached: 0, ipSource: 'response', ips: ['127.0.0.1'] });

      await settle(p, srv().url('site-a.test', '/signup'));
      const signup = await stored(tabId, 'the sign-up page with both endpoints', (s) => s.current?.url.endsWith('/signup') === true && s.current.endpoints.length === 2);
      await badgeIs(tabId, '2');
      // The browser used its cache: the server saw each resource once, for the login page.
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/sdk.js' })).toHaveLength(1);
      expect(srv().requests({ host: 'ct.test', path: '/logo.gif' })).toHaveLength(1);
      expect(endpoint(signup, 'cdn.flagged.test')).toMatchObject({ operatorId: 'china-mobile', matchedBy: ['domain'], cached: 1, types: ['script'] });
      // No IP came with the cache hit: the one last seen for the host (or DNS, in Firefox) flags it.
      expect(endpoint(signup, 'ct.test')).toMatchObject({ operatorId: 'china-telecom', matchedBy: ['ip'], ips: ['127.0.0.2'], cached: 1, types: ['image'] });
      expect(['last-seen', 'dns', 'response']).toContain(endpoint(signup, 'ct.test')!.ipSource);

      const rows = await popupRows(tabId, 'both endpoints from the cache', (r) => r.length === 2 && r.every((row) => row.reached === 'cache'));
      const script = rows.find((r) => r.host === 'cdn.flagged.test')!;
      expect(script.kinds).toBe('script');
      expect(script.did).toBe('Ran a script from it');
      expect(script.text).toContain('from the cache: 1');
      const img = rows.find((r) => r.host === 'ct.test')!;
      expect(img.did).toBe('Loaded an image from it');
      expect(img.ips).toContain('127.0.0.2');
      await p.close();
    });

    it('counts the cached resources of a page returned to with back/forward', async () => {
      const p = await br().newPage();
      await settle(p, srv().url('site-a.test', '/bf-a'));
      const tabId = await br().tabIdOf(p);
      await badgeIs(tabId, '1');
      const first = await stored(tabId, 'page A', (s) => s.current?.url.endsWith('/bf-a') === true && s.current.endpoints.length === 1);
      await settle(p, srv().url('site-a.test', '/bf-b'));
      await badgeIs(tabId, '');
      await p.goBack({ waitUntil: 'load' });
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true && window.__bf === true`, { timeout: 30_000 });
      await badgeIs(tabId, '1');
      const state = await stored(tabId, 'page A again', (s) => s.current?.url.endsWith('/bf-a') === true && endpoint(s, 'cdn.flagged.test') !== undefined);
      expect(state.current!.endpoints.map((e) => e.host)).toEqual(['cdn.flagged.test']);
      // Fetched once: either the back/forward cache brought page A back whole (its page view
      // with it), or A was loaded again and its script came from a cache and counted as such.
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/bf.js' })).toHaveLength(1);
      const restored = state.current!.id === first.current!.id;
      if (!restored) expect(endpoint(state, 'cdn.flagged.test')!.cached).toBe(1);
      await p.close();
    });

    it('counts cached resources in a cross-site iframe, a srcdoc frame and an about:blank frame', async () => {
      const p = await br().newPage();
      await settle(p, srv().url('site-a.test', '/frames-1'));
      const tabId = await br().tabIdOf(p);
      await stored(tabId, 'the first framed page', (s) => s.current?.url.endsWith('/frames-1') === true && s.current.endpoints.length === 3);
      await settle(p, srv().url('site-a.test', '/frames-2'));
      await p.waitForFrame((f) => f.url().endsWith('/inner'));
      const state = await stored(
        tabId,
        'the frame script and the srcdoc image',
        (s) =>
          s.current?.url.endsWith('/frames-2') === true &&
          ['cdn.flagged.test', 'pix.flagged.test', 'blank.flagged.test'].every((host) => endpoint(s, host) !== undefined),
      );
      await badgeIs(tabId, '3');
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/frame.js' })).toHaveLength(1);
      expect(srv().requests({ host: 'blank.flagged.test', path: '/b.gif' })).toHaveLength(1);
      expect(endpoint(state, 'blank.flagged.test')).toMatchObject({ cached: 1, types: ['image'] });
      expect(srv().requests({ host: 'pix.flagged.test', path: '/p.gif' })).toHaveLength(1);
      expect(endpoint(state, 'cdn.flagged.test')).toMatchObject({ cached: 1, frames: [srv().url('site-b.test', '/inner')] });
      expect(endpoint(state, 'pix.flagged.test')).toMatchObject({ cached: 1, types: ['image'] });
      await p.close();
    });

    // Chromium fires no webRequest event for it (the content script reports it); Firefox fires one
    // with no IP and not from the cache, which counts as served by a cache too.
    it('counts a script a service worker answered from its own cache, which never reached the network', async () => {
      const p = await br().newPage();
      await p.goto(srv().url('127.0.0.1', '/sw-page'), { waitUntil: 'load' });
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true && window.__fromSw === true`, { timeout: 30_000 });
      const tabId = await br().tabIdOf(p);
      const state = await stored(tabId, 'the service worker\'s answer', (s) => endpoint(s, 'cdn.flagged.test') !== undefined);
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/from-sw.js' })).toHaveLength(0);
      expect(endpoint(state, 'cdn.flagged.test')).toMatchObject({ operatorId: 'china-mobile', matchedBy: ['domain'], cached: 1, types: ['script'] });
      await badgeIs(tabId, '1');
      await p.close();
    });

    it('marks a POST with a body and a beacon as data sent, and says so in the popup', async () => {
      const p = await br().newPage();
      await settle(p, srv().url('site-a.test', '/send'));
      expect(await p.evaluate('window.__cwSent')).toEqual([200, true]);
      const tabId = await br().tabIdOf(p);
      const post = await srv().waitForRequest('the POST', (r) => r.host === 'api.flagged.test' && r.method === 'POST');
      expect(post.path).toBe('/collect');
      await srv().waitForRequest('the beacon', (r) => r.host === 'beacon.flagged.test' && r.method === 'POST');
      const state = await stored(tabId, 'three endpoints', (s) => s.current?.endpoints.length === 3);
      expect(endpoint(state, 'api.flagged.test')).toMatchObject({ sentData: true, methods: ['POST'], types: ['xmlhttprequest'] });
      expect(endpoint(state, 'beacon.flagged.test')).toMatchObject({ sentData: true, methods: ['POST'] });
      expect(endpoint(state, 'cdn.flagged.test')).toMatchObject({ sentData: false, methods: ['GET'] });

      const rows = await popupRows(tabId, 'three rows', (r) => r.length === 3);
      expect(rows.find((r) => r.host === 'api.flagged.test')).toMatchObject({ kinds: 'sent-data', did: 'Sent data to it (POST)', reached: 'network' });
      expect(rows.find((r) => r.host === 'beacon.flagged.test')!.kinds).toBe('sent-data');
      expect(rows.find((r) => r.host === 'cdn.flagged.test')).toMatchObject({ kinds: 'script', did: 'Ran a script from it' });
      await p.close();
    });
  });

  describe(`a page loading while the extension is installed, in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    let release: (() => void) | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;
    const stored = (tabId: number, what: string, accept: (state: TabState) => boolean) => storedTab(br(), tabId, what, accept);

    beforeAll(async () => {
      server = await startServer();
      const held = new Promise<void>((resolve) => (release = resolve));
      // Flagged by the bundled list (cmpassport.com: China Mobile; 189.cn: China Telecom), so no
      // settings need writing after the install, when the page is already loading.
      server.site('www.loading-site.test', {
        '/': page({
          title: 'loading',
          images: [server.url('passport.cmpassport.com', '/early.gif')],
          scripts: [server.url('www.loading-site.test', '/slow.js')],
        }),
        '/next': page({ title: 'next', scripts: [server.url('open.e.189.cn', '/sdk.js')] }),
        // Held until the extension is in: the page is still loading when it starts.
        '/slow.js': async () => {
          await held;
          return script(`fetch(${JSON.stringify(server!.url('open.e.189.cn', '/late'))}).catch(() => {});`);
        },
      });
      server.site('passport.cmpassport.com', { '/early.gif': image() });
      server.site('open.e.189.cn', { '/late': text('ok'), '/sdk.js': script() });
      b = await launch(kind, {
        extensionDir: extensionDirFor(kind),
        hosts: { 'www.loading-site.test': '127.0.0.1', 'passport.cmpassport.com': '127.0.0.1', 'open.e.189.cn': '127.0.0.1' },
        deferInstall: true,
      });
    });

    afterAll(async () => {
      release?.();
      await b?.close();
      await server?.close();
    });

    it('marks the page partial in the popup until the tab navigates again', async () => {
      const p = await br().newPage();
      void p.goto(srv().url('www.loading-site.test', '/'), { waitUntil: 'load', timeout: 60_000 }).catch(() => undefined);
      await srv().waitForRequest('the page to be loading (its held script asked for)', (r) => r.path === '/slow.js');
      await br().install();
      await br().waitForBackground();
      release!();
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 30_000 });
      await srv().waitForRequest('the request made after the install', (r) => r.path === '/late');
      const tabId = await br().tabIdOf(p);
      const state = await stored(tabId, 'the partial page view with the late request', (s) => s.current?.partial === true && endpoint(s, 'open.e.189.cn') !== undefined);
      expect(state.current!.url).toBe(srv().url('www.loading-site.test', '/'));

      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      const note = await pollUntil('the partial note', () => popup.evaluate(() => document.querySelector('[data-testid=note-partial]')?.textContent ?? ''), (t) => t !== '');
      expect(note).toContain('Carrier Watch started while this page was loading');
      await popup.close();

      // The next page is seen whole: no note.
      await settle(p, srv().url('www.loading-site.test', '/next'));
      const next = await stored(tabId, 'the next page', (s) => s.current?.url.endsWith('/next') === true && s.current.endpoints.length === 1);
      expect(next.current!.partial).toBeUndefined();
      const again = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      await pollUntil('the popup of the next page', () => again.evaluate(() => document.querySelector('.popup')?.getAttribute('data-endpoints')), (n) => n === '1');
      expect(await again.evaluate(() => document.querySelector('[data-testid=note-partial]') === null)).toBe(true);
      await again.close();
      await p.close();
    });
  });
}
