/**
 * Blocking holds across what stops the extension: the background stopped (Chromium's service
 * worker closed, Firefox's event page suspended when idle) and the browser restarted on the same
 * profile (E2EBrowser.restart()). The proof is the test server's log: the flagged hosts hear
 * nothing from the page after each of them. Flagged here: www.cmpassport.com (a phone-number
 * login gateway of the bundled list), cdn.flagged.test (the user's own domain) and ct.test (on
 * 127.0.0.2, flagged by the user's own range 127.0.0.2/32 only). Chromium blocks ct.test once
 * a response has shown its address and keeps what it learned in storage.local (learnedHosts).
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LearnedHost } from '../../src/background/protection/learned-hosts.ts';
import type { Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { LOOPBACK_FLAGGED_SETTINGS } from './lib/flagged-settings.ts';
import { CHECKOUT_HOSTS, checkoutSite, extDnrState } from './lib/checkout-site.ts';
import { pollUntil } from './lib/poll.ts';
import { startServer, type TestServer } from './lib/server.ts';
import { endpointOf, settle, storedTab } from './lib/waits.ts';

const HOSTS: HostMap = {
  'shop.test': '127.0.0.1',
  'www.cmpassport.com': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'ct.test': '127.0.0.2',
};

const FLAGGED_HOSTS = CHECKOUT_HOSTS;
type Got = Record<(typeof FLAGGED_HOSTS)[number], number>;
const NOTHING: Got = { 'www.cmpassport.com': 0, 'cdn.flagged.test': 0, 'ct.test': 0 };

const BLOCK: Settings = { ...LOOPBACK_FLAGGED_SETTINGS, protection: { mode: 'block', blockPhoneLogin: false, allowedSites: [] } };


for (const kind of BROWSER_KINDS) {
  describe(`blocking across a stopped background and a browser restart in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    beforeAll(async () => {
      server = await startServer();
      checkoutSite(server);
      // A short idle timeout lets stopBackground() in Firefox finish in ~2 s (Chromium ignores it).
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS, backgroundIdleTimeoutMs: 1500 });
      await b.waitForBackground();
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    /**
     * Loads the checkout page in a new tab; returns what the server received per flagged host,
     * once the extension has recorded the page's flagged endpoints (`blocked` of them blocked).
     */
    async function loadCheckout(blocked: readonly string[]): Promise<{ page: Page; got: Got }> {
      srv().clearRequests();
      const p = await br().newPage();
      // settle() returns once every resource of the page has loaded or failed: the log is complete.
      await settle(p, srv().url('shop.test', '/checkout'));
      const got = Object.fromEntries(FLAGGED_HOSTS.map((h) => [h, srv().requests({ host: h }).length])) as Got;
      expect(srv().requests({ host: 'shop.test', path: '/checkout' }), 'the page itself loads').toHaveLength(1);
      // Not merely failed: the extension counted each of these requests as blocked.
      const tabId = await br().tabIdOf(p);
      await storedTab(br(), tabId, `${blocked.join(', ')} blocked on the checkout page`, (s) =>
        s.current?.url.endsWith('/checkout') === true && blocked.every((host) => (endpointOf(s, host)?.blocked ?? 0) >= 1),
      );
      return { page: p, got };
    }

    it('Block mode: the flagged hosts hear nothing from the page', async () => {
      await br().setStorage('local', { settings: BLOCK });
      await br().waitForBackground();
      if (kind === 'chromium') {
        // Chrome applies rules asynchronously after the storage change; Firefox decides per request.
        await pollUntil('the blocking rules for Block mode', () => br().evalInExtension(extDnrState), (s) => s.rulesets.includes('phone-login-china-mobile-high') && s.blockedDomains.includes('flagged.test'));
      }
      const first = await loadCheckout(['www.cmpassport.com', 'cdn.flagged.test']);
      // Flagged by address only: Firefox looks it up before connecting; Chrome learns it from
      // the first response and blocks every later request.
      expect(first.got).toEqual({ ...NOTHING, 'ct.test': kind === 'chromium' ? 1 : 0 });
      await first.page.close();
      if (kind === 'chromium') {
        await pollUntil('ct.test learned: in storage.local and in the dynamic block rules', async () => ({
          stored: ((await br().storage('local'))['learnedHosts'] as LearnedHost[] | undefined)?.map((h) => h.host) ?? [],
          rules: (await br().evalInExtension(extDnrState)).blockedDomains,
        }), (s) => s.stored.includes('ct.test') && s.rules.includes('ct.test'));
      }
      const second = await loadCheckout(FLAGGED_HOSTS);
      expect(second.got).toEqual(NOTHING);
      await second.page.close();
    });

    it('with the background stopped, the next page is blocked as well (it wakes the background)', async () => {
      await br().stopBackground();
      expect(await br().backgroundRunning()).toBe(false);
      const { page: p, got } = await loadCheckout(FLAGGED_HOSTS);
      expect(got).toEqual(NOTHING);
      await p.close();
    });

    it('after a browser restart, blocking holds from the first page; Chromium keeps the host it learned', async () => {
      const pidBefore = br().browser.process()?.pid;
      await br().restart();
      expect(br().browser.process()?.pid).not.toBe(pidBefore);
      await br().waitForBackground();
      const local = await br().storage('local');
      // The user's settings survived the restart (Firefox: keepStorageOnUninstall, see restart()).
      expect((local['settings'] as Settings | undefined)?.protection.mode).toBe('block');
      if (kind === 'chromium') {
        // Learned before the restart; nothing has been loaded since.
        expect((local['learnedHosts'] as LearnedHost[] | undefined)?.map((h) => h.host)).toContain('ct.test');
      }
      const { page: p, got } = await loadCheckout(FLAGGED_HOSTS);
      expect(got).toEqual(NOTHING);
      await p.close();
    });
  });
}
