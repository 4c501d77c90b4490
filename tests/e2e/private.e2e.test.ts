/**
 * Private windows (Chromium: incognito) in real Chromium and Firefox ESR, with the extension
 * allowed there from its first start (LaunchOptions.allowPrivate): a private tab's flagged
 * requests are counted on its badge and shown in its popup, and nothing of it reaches
 * storage.local, while a normal tab with the same kind of page is logged (the positive control:
 * the assertion of absence would pass by itself if logging were simply broken).
 *
 * Also the harness's deferInstall: a page opened before the extension is installed, then a new
 * navigation in it once the background is up.
 *
 * "Flagged" comes from the extension's own settings, as in watcher.e2e.test.ts: flagged.test is
 * a China Mobile domain, 127.0.0.2 a China Telecom address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK_FLAGGED_SETTINGS as SETTINGS } from './lib/flagged-settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import { badgeIs as waitForBadge, settle } from './lib/waits.ts';
import { image, page, script, startServer, text, type TestServer } from './lib/server.ts';

/**
 * Two sets of hosts with the same shape, so that whatever the private page could leave behind
 * names hosts that the normal page never uses. Firefox resolves every unlisted host to
 * 127.0.0.2, so every 127.0.0.1 host is listed by name.
 */
const PRIVATE = { site: 'private-site.test', page: 'www.private-site.test', cdn: 'priv-cdn.flagged.test', api: 'priv-api.flagged.test', pixels: 'priv-pixels.telecom.test' };
const PUBLIC = { site: 'public-site.test', page: 'www.public-site.test', cdn: 'pub-cdn.flagged.test', api: 'pub-api.flagged.test', pixels: 'pub-pixels.telecom.test' };
type SiteHosts = typeof PRIVATE;

const HOSTS: HostMap = {
  [PRIVATE.page]: '127.0.0.1',
  [PRIVATE.cdn]: '127.0.0.1',
  [PRIVATE.api]: '127.0.0.1',
  [PRIVATE.pixels]: '127.0.0.2',
  [PUBLIC.page]: '127.0.0.1',
  [PUBLIC.cdn]: '127.0.0.1',
  [PUBLIC.api]: '127.0.0.1',
  [PUBLIC.pixels]: '127.0.0.2',
};


/** A page with three flagged endpoints: two China Mobile (domain), one China Telecom (IP). */
function flaggedSite(s: TestServer, h: SiteHosts): void {
  const flagged = page({
    title: `flagged page on ${h.site}`,
    scripts: [s.url(h.cdn, '/lib.js')],
    images: [s.url(h.pixels, '/p.gif')],
    fetches: [s.url(h.api, '/api')],
  });
  s.site(h.page, { '/': flagged, '/visit': flagged });
  s.site(h.cdn, { '/lib.js': script() });
  s.site(h.api, { '/api': text('ok') });
  s.site(h.pixels, { '/p.gif': image() });
}

interface PopupSnapshot {
  state: string;
  site: string;
  count: string;
  groups: Array<{ operator: string; hosts: string[] }>;
  notes: string[];
  earlierVisits: number;
}

// Runs in the popup page (selectors as in popup.e2e.test.ts).
const readPopup = (): PopupSnapshot => ({
  state: document.querySelector('.popup')?.getAttribute('data-state') ?? '',
  site: document.querySelector('.site')?.textContent ?? '',
  count: document.querySelector('[data-testid=endpoint-count]')?.textContent ?? '',
  groups: [...document.querySelectorAll('section.operator')].map((s) => ({
    operator: s.getAttribute('data-operator') ?? '',
    hosts: [...s.querySelectorAll('li.endpoint')].map((li) => li.getAttribute('data-host') ?? '').sort(),
  })),
  notes: [...document.querySelectorAll('.note')].map((n) => n.textContent ?? ''),
  earlierVisits: document.querySelectorAll('.visit').length,
});

/** Every key of `storage` whose key or value mentions one of `needles`, as "key: needle". */
function mentions(storage: Record<string, unknown>, needles: readonly string[]): string[] {
  return Object.entries(storage).flatMap(([key, value]) => {
    const haystack = `${key}\n${JSON.stringify(value)}`;
    return needles.filter((n) => haystack.includes(n)).map((n) => `${key}: ${n}`);
  });
}

for (const kind of BROWSER_KINDS) {
  describe(`private windows in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      server = await startServer();
      flaggedSite(server, PRIVATE);
      flaggedSite(server, PUBLIC);
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS, allowPrivate: true });
      await b.waitForBackground();
      await b.setStorage('local', { settings: SETTINGS });
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    const badgeIs = (tabId: number, textValue: string) => waitForBadge(br(), tabId, textValue);

    it("counts a private tab's flagged endpoints on its badge and shows them in its popup", async () => {
      const { page: p, tabId } = await br().newPrivatePage();
      await settle(p, srv().url(PRIVATE.page, '/'));
      expect(await br().tabIdOf(p)).toBe(tabId);

      const badge = await badgeIs(tabId, '3');
      expect(badge.title).toBe('Carrier Watch: China Mobile: 2, China Telecom: 1');

      // The popup as an extension page in a normal tab, pointed at the private tab.
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      const shot = await pollUntil(
        `the popup for private tab ${tabId} to list 3 endpoints`,
        () => popup.evaluate(readPopup),
        (s) => s.state === 'page' && s.groups.flatMap((g) => g.hosts).length === 3,
        { timeoutMs: 15_000 },
      );
      expect(shot.site).toBe(PRIVATE.site);
      expect(shot.count).toBe('3');
      expect(shot.groups).toEqual([
        { operator: 'china-mobile', hosts: [PRIVATE.api, PRIVATE.cdn].sort() },
        { operator: 'china-telecom', hosts: [PRIVATE.pixels] },
      ]);
      expect(shot.earlierVisits).toBe(0);
      expect(shot.notes.some((n) => n.includes('Private window'))).toBe(true);
      await popup.close();
      await br().closePrivateWindows();
      expect(p.isClosed()).toBe(true);
    });

    it('keeps a private tab out of storage.local, while a normal tab with the same kind of page is logged', async () => {
      const priv = await br().newPrivatePage();
      await settle(priv.page, srv().url(PRIVATE.page, '/visit'));
      await badgeIs(priv.tabId, '3'); // the background has handled the private page's requests
      await br().closePrivateWindows();

      // Positive control, after the private page: the site log is written in batches, in order,
      // so once this visit is on disk any visit recorded for the private tab before it would be too.
      const p = await br().newPage();
      await settle(p, srv().url(PUBLIC.page, '/visit'));
      await badgeIs(await br().tabIdOf(p), '3');
      const local = await pollUntil(
        `the normal visit to ${PUBLIC.site} in storage.local with its 3 endpoints`,
        () => br().storage('local'),
        (s) => {
          const log = s[`site:${PUBLIC.site}`] as { visits?: Array<{ endpoints: Array<{ host: string }> }> } | undefined;
          return log?.visits?.some((v) => v.endpoints.length === 3) === true && s['siteIndex'] !== undefined;
        },
      );
      const publicVisit = (local[`site:${PUBLIC.site}`] as { visits: Array<{ url: string; endpoints: Array<{ host: string }> }> }).visits.at(-1)!;
      expect(publicVisit.endpoints.map((e) => e.host).sort()).toEqual([PUBLIC.api, PUBLIC.cdn, PUBLIC.pixels].sort());
      expect(publicVisit.url).toBe(srv().url(PUBLIC.page, '/visit'));
      expect(Object.keys(local['siteIndex'] as Record<string, unknown>)).toContain(PUBLIC.site);

      // Nothing of the private tab: no key, no value names its site, its hosts or its page.
      expect(mentions(local, [PRIVATE.site, PRIVATE.cdn, PRIVATE.api, PRIVATE.pixels])).toEqual([]);
      expect(Object.keys(local).filter((k) => k.startsWith('site:'))).not.toContain(`site:${PRIVATE.site}`);
      expect(Object.keys(local['siteIndex'] as Record<string, unknown>)).not.toContain(PRIVATE.site);
      await p.close();
    });

    it('in Block mode, blocks in a private tab and keeps what it learns there off the disk', async () => {
      await br().setStorage('local', { settings: { ...SETTINGS, protection: { mode: 'block', blockPhoneLogin: false, allowedSites: [] } } });
      await br().waitForBackground();
      srv().clearRequests();
      const priv = await br().newPrivatePage();
      await settle(priv.page, srv().url(PRIVATE.page, '/'));
      expect(srv().requests({ host: PRIVATE.cdn })).toHaveLength(0);
      expect(srv().requests({ host: PRIVATE.api })).toHaveLength(0);
      type Dnr = { getSessionRules(): Promise<unknown[]>; getDynamicRules(): Promise<unknown[]> };
      const rules = (which: 'getSessionRules' | 'getDynamicRules') =>
        br().evalInExtension((w: 'getSessionRules' | 'getDynamicRules') => (globalThis as unknown as { chrome: { declarativeNetRequest: Dnr } }).chrome.declarativeNetRequest[w](), which);
      if (kind === 'chromium') {
        // Chrome learns the address-flagged host from its first response, in a session rule.
        expect(srv().requests({ host: PRIVATE.pixels })).toHaveLength(1);
        await pollUntil('a session rule for the host learned in private', () => rules('getSessionRules'), (r) => JSON.stringify(r).includes(PRIVATE.pixels));
        const later = await priv.page.evaluate((u) => fetch(u).then(() => 'reached', () => 'failed'), srv().url(PRIVATE.pixels, '/p.gif?again'));
        expect(later).toBe('failed');
        expect(srv().requests({ host: PRIVATE.pixels })).toHaveLength(1);
        expect(JSON.stringify(await rules('getDynamicRules'))).not.toContain(PRIVATE.pixels);
      } else {
        expect(srv().requests({ host: PRIVATE.pixels })).toHaveLength(0); // judged by its address before connecting
      }
      await badgeIs(priv.tabId, '3');
      await br().closePrivateWindows();

      // Positive control after the private page: a normal tab's page is logged with its blocked
      // endpoints (and, in Chrome, its learned host saved); what the private tab did would be
      // on disk by then too, had it been recorded.
      const p = await br().newPage();
      await settle(p, srv().url(PUBLIC.page, '/'));
      const local = await pollUntil(
        `the normal visit to ${PUBLIC.site} on disk${kind === 'chromium' ? ', and its learned host' : ''}`,
        () => br().storage('local'),
        (st) => {
          const log = st[`site:${PUBLIC.site}`] as { visits?: Array<{ endpoints: Array<{ blocked?: number }> }> } | undefined;
          const logged = log?.visits?.some((v) => v.endpoints.some((e) => (e.blocked ?? 0) > 0)) === true;
          return logged && (kind !== 'chromium' || JSON.stringify(st['learnedHosts'] ?? []).includes(PUBLIC.pixels));
        },
      );
      expect(mentions(local, [PRIVATE.site, PRIVATE.cdn, PRIVATE.api, PRIVATE.pixels])).toEqual([]);
      await p.close();
      await br().setStorage('local', { settings: SETTINGS });
    });
  });

  describe(`installing the extension later in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      server = await startServer();
      // passport.cmpassport.com is flagged (China Mobile) by the bundled list: no settings to write
      // after install, so nothing races the first navigation.
      server.site('www.early-site.test', {
        '/': page({ title: 'before install', scripts: [server.url('passport.cmpassport.com', '/sdk.js')] }),
        '/after': page({ title: 'after install', scripts: [server.url('passport.cmpassport.com', '/sdk.js')] }),
      });
      server.site('passport.cmpassport.com', { '/sdk.js': script() });
      b = await launch(kind, {
        extensionDir: extensionDirFor(kind),
        hosts: { 'www.early-site.test': '127.0.0.1', 'passport.cmpassport.com': '127.0.0.1' },
        deferInstall: true,
      });
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    it('counts the next navigation of a page that was open before the extension was installed', async () => {
      expect(br().installed).toBe(false);
      const p = await br().newPage();
      await settle(p, srv().url('www.early-site.test', '/'));
      expect(srv().requests({ host: 'passport.cmpassport.com' })).toHaveLength(1);

      await br().install();
      expect(br().installed).toBe(true);
      expect(br().extensionOrigin).toMatch(kind === 'chromium' ? /^chrome-extension:\/\/[a-p]{32}$/ : /^moz-extension:\/\//);
      await br().waitForBackground();
      const tabId = await br().tabIdOf(p);

      await settle(p, srv().url('www.early-site.test', '/after'));
      const badge = await pollUntil(`badge "1" on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '1');
      expect(badge.title).toBe('Carrier Watch: China Mobile: 1');
      await expect(br().install()).rejects.toThrow(/already installed/);
      await p.close();
    });
  });
}
