/**
 * Opt-in network-data updates in real Chromium and Firefox ESR, against a loopback server that
 * serves data bundles signed with a key made for this run (the extension is built to trust it,
 * lib/data-bundles.ts). Proven by what the server receives and what the extension shows:
 * - off (the default), the server hears nothing at all, through a browser restart, page loads
 *   and the options page;
 * - turned on in the options page, a good bundle is fetched and applied without a restart: a
 *   host only that bundle lists is flagged on the next page load (and blocked in Block mode),
 *   and stays so after a browser restart;
 * - a bad signature, a truncated file, an older version and a bundle that drops an operator are
 *   each rejected with a clear message in the options page, and the data in use is kept;
 * - turned off, the shipped data is back.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedDataDate, committedFiles, generateBundleKeys, signedBundle, withDomain, withoutOperator } from '../../src/data/test-bundles.ts';
import type { Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, launch, type BrowserKind, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { buildWithTestKey } from './lib/data-bundles.ts';
import { LOOPBACK_FLAGGED_SETTINGS } from './lib/flagged-settings.ts';
import { pollUntil } from './lib/poll.ts';
import { image, page, script, startServer, type RecordedRequest, type TestServer } from './lib/server.ts';
import { endpointOf, settle, storedTab } from './lib/waits.ts';

const HOSTS: HostMap = {
  // The update server, by address: Chromium's test resolver rules (MAP * ~NOTFOUND) catch address literals too.
  '127.0.0.1': '127.0.0.1',
  'shop.test': '127.0.0.1',
  'cdn.bundle-only.test': '127.0.0.1',
  'sentinel.flagged.test': '127.0.0.1',
};
/**
 * Requested by the bundle-only host's script, so its events come after that host's: once the
 * page shows it (flagged through the user's own domain, lib/flagged-settings.ts), the verdict
 * on cdn.bundle-only.test is in, whichever it is.
 */
const SENTINEL = 'sentinel.flagged.test';
/** Listed only in the bundles served here, never in the shipped data. */
const BUNDLE_DOMAIN = 'bundle-only.test';
const BUNDLE_PATH = '/carrier-watch-data.cwdata';
const DATE = committedDataDate();
const GOOD_VERSION = `${DATE}.2`;

type Bundles = Record<'good' | 'badSignature' | 'truncated' | 'older' | 'dropsOperator', Uint8Array>;
let dirs: Record<BrowserKind, string> | undefined;
let bundles: Bundles | undefined;

beforeAll(async () => {
  const keys = await generateBundleKeys();
  const other = await generateBundleKeys();
  const files = withDomain(committedFiles(), BUNDLE_DOMAIN, 'china-telecom');
  const good = await signedBundle(files, keys.privateKey, GOOD_VERSION);
  bundles = {
    good,
    badSignature: await signedBundle(files, other.privateKey, `${DATE}.3`),
    truncated: good.subarray(0, good.byteLength - 1000),
    older: await signedBundle(files, keys.privateKey, '2026-01-01.7'),
    dropsOperator: await signedBundle(withoutOperator(files, 'china-unicom'), keys.privateKey, `${DATE}.4`),
  };
  dirs = await buildWithTestKey(keys.publicJwk);
}, 120_000);

// Runs in the options page.
const text = (testId: string): string | null => document.querySelector(`[data-testid="${testId}"]`)?.textContent ?? null;
const click = (testId: string): void => {
  const element = document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  if (!element) throw new Error(`no [data-testid="${testId}"]`);
  element.click();
};

let counter = 0;

for (const kind of BROWSER_KINDS) {
  describe(`data updates in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    let served: Uint8Array = new Uint8Array();
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;
    const updateRequests = (): RecordedRequest[] => srv().requests({ host: '127.0.0.1' });
    const settingsWith = (enabled: boolean, extra: Partial<Settings> = {}): Settings => ({
      ...LOOPBACK_FLAGGED_SETTINGS,
      dataUpdates: { enabled, url: srv().url('127.0.0.1', BUNDLE_PATH) },
      ...extra,
    });

    beforeAll(async () => {
      server = await startServer();
      server.site('127.0.0.1', { [BUNDLE_PATH]: () => ({ body: served, headers: { 'content-type': 'application/octet-stream' } }) });
      server.site('shop.test', { '/': () => page({ title: 'shop', scripts: [srv().url('cdn.bundle-only.test', `/lib.js?n=${++counter}`)] }) });
      server.site('cdn.bundle-only.test', { '/lib.js': () => script(`new Image().src = ${JSON.stringify(srv().url(SENTINEL, `/pixel.gif?n=${++counter}`))};`) });
      server.site(SENTINEL, { '/pixel.gif': image() });
      b = await launch(kind, { extensionDir: dirs![kind], hosts: HOSTS });
      await b.waitForBackground();
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    /** Loads the shop in a new tab; returns whether cdn.bundle-only.test was flagged there and how many requests it got. */
    async function loadShop({ keepOpen = false } = {}): Promise<{ flagged: boolean; reached: number; tabId: number; tab: Page }> {
      const before = srv().requests({ host: 'cdn.bundle-only.test' }).length;
      const tab = await br().newPage();
      await settle(tab, srv().url('shop.test', '/'));
      const tabId = await br().tabIdOf(tab);
      const state = await storedTab(
        br(),
        tabId,
        'the shop page, with the verdict on cdn.bundle-only.test in',
        (s) => s.current?.url.startsWith(srv().url('shop.test', '/')) === true && (endpointOf(s, SENTINEL) !== undefined || (endpointOf(s, 'cdn.bundle-only.test')?.blocked ?? 0) > 0),
      );
      const reached = srv().requests({ host: 'cdn.bundle-only.test' }).length - before;
      if (!keepOpen) await tab.close();
      return { flagged: endpointOf(state, 'cdn.bundle-only.test') !== undefined, reached, tabId, tab };
    }

    async function openOptions(): Promise<Page> {
      const options = await br().openExtensionPage('src/options/index.html');
      await options.waitForSelector('[data-testid="data-status"]');
      return options;
    }

    /** Clicks "Check now" and waits for the check's outcome to show. */
    async function checkNow(options: Page, serve: Uint8Array): Promise<{ error: string | null; status: string | null }> {
      served = serve;
      const before = updateRequests().length;
      await pollUntil('"Check now" to be enabled', () => options.evaluate(() => (document.querySelector('[data-testid="data-check-now"]') as HTMLButtonElement | null)?.disabled), (d) => d === false);
      await options.evaluate(click, 'data-check-now');
      await srv().waitForRequest('the update check', (r) => r.path === BUNDLE_PATH && updateRequests().length > before);
      await pollUntil('the check to finish', () => options.evaluate(() => (document.querySelector('[data-testid="data-check-now"]') as HTMLButtonElement | null)?.disabled), (d) => d === false);
      return { error: await options.evaluate(text, 'data-update-error'), status: await options.evaluate(text, 'data-status') };
    }

    it('off (the default): the server hears nothing, through a restart, page loads and the options page', async () => {
      await br().setStorage('local', { settings: settingsWith(false) });
      await br().restart();
      await br().waitForBackground();
      expect((await loadShop()).flagged).toBe(false);
      const options = await openOptions();
      expect(await options.evaluate(() => (document.querySelector('[data-testid="data-updates"]') as HTMLInputElement).checked)).toBe(false);
      expect(await options.evaluate(text, 'data-status')).toContain(DATE);
      expect(await options.evaluate(() => (document.querySelector('[data-testid="data-check-now"]') as HTMLButtonElement).disabled)).toBe(true);
      // Past the start-up check's delay (5 s), with a page load to keep the background busy.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      expect((await loadShop()).flagged).toBe(false);
      await options.close();
      expect(updateRequests()).toEqual([]);
      expect(await br().storage('local')).not.toHaveProperty('dataBundle');
    });

    it('turned on in the options page: the good bundle is applied without a restart and a host only it lists is flagged', async () => {
      served = bundles!.good;
      const options = await openOptions();
      await options.evaluate(click, 'data-updates');
      await srv().waitForRequest('the check made when updates are turned on', (r) => r.path === BUNDLE_PATH);
      const status = await pollUntil('the new data to be in use', () => options.evaluate(text, 'data-status'), (s) => s?.includes(GOOD_VERSION) === true);
      expect(status).toMatch(/verified/i);
      expect(await options.evaluate(text, 'data-update-error')).toBeNull();
      await options.close();
      const request = updateRequests()[0]!;
      // Nothing that identifies the user or what they browse.
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers.referer).toBeUndefined();
      expect(request.headers['if-none-match']).toBeUndefined();
      expect(request.path).toBe(BUNDLE_PATH);
      expect(await loadShop()).toMatchObject({ flagged: true, reached: 1 });
      const stored = await br().storage('local');
      expect(stored['dataBundle']).toMatchObject({ version: GOOD_VERSION });
      // The popup's footer names the data in use.
      const shop = await loadShop({ keepOpen: true });
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${shop.tabId}`);
      const footer = await pollUntil('the popup footer', () => popup.evaluate(text, 'data-footer'), (t) => t !== null && t.includes(DATE));
      expect(footer).toMatch(/verified/i);
      await popup.close();
      await shop.tab.close();
    });

    it('Block mode stops the host only the bundle lists', async () => {
      const settings = settingsWith(true, { protection: { mode: 'block', blockPhoneLogin: false, allowedSites: [] } });
      await br().setStorage('local', { settings });
      await br().waitForBackground();
      if (kind === 'chromium') {
        // The bundle's list is blocked with dynamic rules (the static rulesets hold the shipped list).
        await pollUntil(
          'a dynamic rule for the bundle\'s domain',
          () => br().evalInExtension(() => (globalThis as unknown as { chrome: { declarativeNetRequest: { getDynamicRules(): Promise<Array<{ condition: { requestDomains?: string[] } }>> } } }).chrome.declarativeNetRequest.getDynamicRules()),
          (rules) => rules.some((r) => r.condition.requestDomains?.includes('bundle-only.test') === true),
        );
      }
      expect(await loadShop()).toMatchObject({ flagged: true, reached: 0 });
      await br().setStorage('local', { settings: settingsWith(true) });
      await br().waitForBackground();
    });

    it('survives a browser restart: the stored update is in use again, with no new request', async () => {
      const before = updateRequests().length;
      await br().restart();
      await br().waitForBackground();
      expect((await loadShop()).flagged).toBe(true);
      const options = await openOptions();
      expect(await options.evaluate(text, 'data-status')).toContain(GOOD_VERSION);
      await options.close();
      // Checked less than a day ago: the start-up check (5 s after start) asks nothing.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      expect(updateRequests()).toHaveLength(before);
    });

    it.each([
      ['a bad signature', 'badSignature', /bad signature/],
      ['a truncated file', 'truncated', /truncated/],
      ['an older version', 'older', /2026-01-01\.7 is not newer/],
      ['a bundle that drops an operator', 'dropsOperator', /china-unicom would have no ranges and no domains left/],
    ] as const)('rejects %s with a clear message in the options page and keeps the data in use', async (_label, which, message) => {
      const options = await openOptions();
      const { error, status } = await checkNow(options, bundles![which]);
      expect(error).toMatch(message);
      expect(status).toContain(GOOD_VERSION);
      await options.close();
      expect((await loadShop()).flagged).toBe(true);
      expect((await br().storage('local'))['dataBundle']).toMatchObject({ version: GOOD_VERSION });
    });

    it('turned off: the shipped data is back, the update forgotten, and no more requests', async () => {
      const options = await openOptions();
      await options.evaluate(click, 'data-updates');
      await pollUntil('the shipped data to be in use', () => options.evaluate(text, 'data-status'), (s) => s !== null && !s.includes(GOOD_VERSION));
      await options.close();
      const before = updateRequests().length;
      expect((await loadShop()).flagged).toBe(false);
      expect(await br().storage('local')).not.toHaveProperty('dataBundle');
      expect(updateRequests()).toHaveLength(before);
    });
  });
}
