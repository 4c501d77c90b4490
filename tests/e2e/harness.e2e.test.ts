/**
 * Self-test of the e2e harness (tests/e2e/lib). Runs against the unpacked builds in
 * dist/chrome and dist/firefox, or CW_E2E_CHROME_DIR / CW_E2E_FIREFOX_DIR.
 * Needs from the extension only what the harness itself needs: listeners on <all_urls>
 * that put something on the badge of a tab with requests, the ready flag / ping answer, and
 * the storage permission.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { DEFAULT_SETTINGS, type Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import {
  cacheable,
  image,
  page,
  PAGE_DONE_FLAG,
  redirectChain,
  script,
  startServer,
  text,
  type TestServer,
} from './lib/server.ts';

const HOSTS: HostMap = {
  'site-a.test': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'other.test': '127.0.0.2',
};

/**
 * Carrier Watch's own settings (storage.local "settings") that flag the test hosts, so the real
 * build puts a count on the badge: loopback addresses are in no real operator's ranges. Typed
 * as the product's Settings so a schema change breaks the build here, not silently at run time.
 * Other extensions (the throwaway one used to develop the harness) just ignore the key.
 */
const SETTINGS_FLAGGING_TEST_HOSTS: Settings = {
  ...DEFAULT_SETTINGS,
  user: {
    asns: [],
    cidrs: [{ cidr: '127.0.0.2/32', operatorId: 'custom', note: 'e2e: other.test' }],
    domains: [{ domain: 'flagged.test', operatorId: 'custom', note: 'e2e: cdn.flagged.test' }],
    allowlist: [],
  },
};

async function loadAndSettle(p: Page, url: string): Promise<void> {
  await p.goto(url, { waitUntil: 'load' });
  await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 10_000 });
}

for (const kind of BROWSER_KINDS) {
  describe(kind, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const timing = { start: Date.now(), launchMs: 0, readyMs: 0, firstPageMs: 0 };

    // Both are assigned in beforeAll; a failed beforeAll fails every test before they run.
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      timing.start = Date.now();
      server = await startServer();
      const s = server;
      s.site('site-a.test', {
        '/': page({
          title: 'site A',
          scripts: [s.url('cdn.flagged.test', '/lib.js')],
          images: [s.url('other.test', '/pixel.gif')],
        }),
        '/helpers': page({
          iframes: [s.url('other.test', '/frame')],
          fetches: [s.url('cdn.flagged.test', '/api'), s.url('site-a.test', '/hop/1')],
        }),
        ...redirectChain(['/hop/1', '/hop/2', '/hop/3'], text('end of chain')),
        '/cache-1': page({ scripts: [s.url('cdn.flagged.test', '/cached.js')] }),
        '/cache-2': page({ scripts: [s.url('cdn.flagged.test', '/cached.js')] }),
      });
      s.site('cdn.flagged.test', {
        '/lib.js': script('window.__libLoaded = true;'),
        '/api': text('ok'),
        '/cached.js': cacheable(script('window.__cached = true;'), 600),
      });
      s.site('other.test', { '/pixel.gif': image(), '/frame': page({ title: 'frame' }) });

      // A short idle timeout lets stopBackground() in Firefox finish in ~2 s (Chromium ignores it).
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS, backgroundIdleTimeoutMs: 1500 });
      timing.launchMs = Date.now() - timing.start;
      await b.waitForBackground();
      timing.readyMs = Date.now() - timing.start;
      // The background applies it from storage.onChanged, long before the first page's requests.
      await b.setStorage('local', { settings: SETTINGS_FLAGGING_TEST_HOSTS });
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
      const total = Date.now() - timing.start;
      console.log(
        `[e2e-timing] ${kind}: launch ${timing.launchMs} ms, background ready ${timing.readyMs} ms, ` +
          `first page ${timing.firstPageMs} ms, total ${total} ms`,
      );
    });

    it('maps host names onto the two loopback networks and the badge counts the page', async () => {
      const p = await br().newPage();
      const t0 = Date.now();
      await loadAndSettle(p, srv().url('site-a.test', '/'));
      timing.firstPageMs = Date.now() - t0;

      // The server saw each host on the address the browser was told to use.
      expect(srv().requests({ host: 'site-a.test', path: '/' }).map((r) => r.localAddress)).toEqual(['127.0.0.1']);
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/lib.js' }).map((r) => r.localAddress)).toEqual([
        '127.0.0.1',
      ]);
      expect(srv().requests({ host: 'other.test', path: '/pixel.gif' }).map((r) => r.localAddress)).toEqual([
        '127.0.0.2',
      ]);
      expect(await p.evaluate(() => (window as { __libLoaded?: boolean }).__libLoaded)).toBe(true);

      const tabId = await br().tabIdOf(p);
      expect(tabId).toBeGreaterThanOrEqual(0);
      const badge = await pollUntil(
        `a non-empty badge on tab ${tabId}`,
        () => br().badge(tabId),
        (x) => x.text !== '',
      );
      expect(typeof badge.title).toBe('string');
      await p.close();
    });

    it('tells apart two tabs showing the same URL', async () => {
      const url = srv().url('site-a.test', '/');
      const p1 = await br().newPage();
      const p2 = await br().newPage();
      await loadAndSettle(p1, url);
      await loadAndSettle(p2, url);
      const [id1, id2] = [await br().tabIdOf(p1), await br().tabIdOf(p2)];
      expect(id1).not.toBe(id2);
      expect(await p1.title()).toBe('site A'); // the title is restored after disambiguation
      await Promise.all([p1.close(), p2.close()]);
    });

    it('serves iframes, fetch() calls, redirect chains and cacheable responses', async () => {
      const p = await br().newPage();
      await loadAndSettle(p, srv().url('site-a.test', '/helpers'));
      expect(await p.evaluate(() => (window as { __cwFetchResults?: unknown }).__cwFetchResults)).toEqual([200, 200]);
      expect(srv().requests({ host: 'other.test', path: '/frame' })).toHaveLength(1);
      const hops = srv()
        .requests({ host: 'site-a.test' })
        .filter((r) => r.path.startsWith('/hop/'))
        .map((r) => `${r.path} ${r.status}`);
      expect(hops).toEqual(['/hop/1 302', '/hop/2 302', '/hop/3 200']);

      await loadAndSettle(p, srv().url('site-a.test', '/cache-1'));
      await loadAndSettle(p, srv().url('site-a.test', '/cache-2'));
      // max-age=600: the second page's script comes from the browser cache, not the server.
      expect(srv().requests({ host: 'cdn.flagged.test', path: '/cached.js' })).toHaveLength(1);
      await p.close();
    });

    it('reads back what it writes to storage.local', async () => {
      const value = { nonce: `${kind}-${Date.now()}`, list: [1, 2, 3] };
      await br().setStorage('local', { __cwE2eProbe: value });
      expect((await br().storage('local'))['__cwE2eProbe']).toEqual(value);
    });

    it('stops the background and a new page load starts it again', async () => {
      await br().stopBackground();
      expect(await br().backgroundRunning()).toBe(false);

      const p = await br().newPage();
      await loadAndSettle(p, srv().url('site-a.test', '/?after-stop'));
      await br().waitForBackground();
      expect(await br().backgroundRunning()).toBe(true);
      const tabId = await br().tabIdOf(p);
      await pollUntil(`a non-empty badge on tab ${tabId} after the restart`, () => br().badge(tabId), (x) => x.text !== '');
      await p.close();
    });
  });
}
