/**
 * The release build as a store would load it. Chromium: the unpacked dist/chrome loads with no
 * manifest errors or install warnings (read from chrome://extensions' own
 * developerPrivate.getExtensionInfo, the list the Extensions page shows; a deliberately bad copy
 * proves the check sees warnings). Both browsers: a tab with flagged contacts gets the flagged
 * toolbar icon besides the badge, and the normal icon again on a clean page. Chromium observes
 * the background's own action.setIcon calls; Firefox, where the test cannot reach the event
 * page's API objects, checks that the same icon files load through action.setIcon. Also takes
 * the options-page screenshot the README shows (test-results/options-chromium.png →
 * docs/options.png).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolbarIconPaths } from '../../src/background/toolbar-icon.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import type { ChromiumE2EBrowser } from './lib/chromium.ts';
import { pollUntil } from './lib/poll.ts';
import { page, PAGE_DONE_FLAG, script, startServer, type TestServer } from './lib/server.ts';

const HOSTS: HostMap = { 'news.site-p.test': '127.0.0.1', 'cdn.watched-cdn.test': '127.0.0.1', 'clean.site-q.test': '127.0.0.1' };

/** Loopback is in no operator's ranges: a custom domain entry flags the test CDN. */
const SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  user: { asns: [], cidrs: [], domains: [{ domain: 'watched-cdn.test', operatorId: 'china-mobile', note: 'e2e' }], allowlist: [] },
};

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-results');

/** What the README's options screenshot shows: a few entries of each kind. */
const README_SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  user: {
    asns: [{ asn: 64512, operatorId: 'custom', note: 'a network I watch' }],
    cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-unicom', note: 'seen on a CDN' }],
    domains: [{ domain: 'example-login.test', operatorId: 'china-mobile', note: 'login gateway' }],
    allowlist: ['example.org'],
  },
};

interface ExtensionInfo {
  state: string;
  manifestErrors: unknown[];
  installWarnings: unknown[];
}

type DeveloperPrivate = {
  updateProfileConfiguration(update: { inDeveloperMode: boolean }): Promise<void>;
  reload(id: string, options: { failQuietly: boolean }): Promise<void>;
  getExtensionInfo(id: string): Promise<ExtensionInfo>;
};

// These run on chrome://extensions, whose WebUI has chrome.developerPrivate: the page's own data.
// Chromium reports manifest warnings only in developer mode (as an unpacked load shows them), so
// the check turns it on and reloads the extension, which reports them afresh.
const enableDeveloperModeAndReload = async (id: string): Promise<void> => {
  const api = (globalThis as unknown as { chrome: { developerPrivate: DeveloperPrivate } }).chrome.developerPrivate;
  await api.updateProfileConfiguration({ inDeveloperMode: true });
  await api.reload(id, { failQuietly: true });
};
const readExtensionInfo = (id: string): Promise<ExtensionInfo> =>
  (globalThis as unknown as { chrome: { developerPrivate: DeveloperPrivate } }).chrome.developerPrivate.getExtensionInfo(id);

async function extensionInfo(b: E2EBrowser, id: string): Promise<ExtensionInfo> {
  const p = await b.newPage();
  try {
    await p.goto(`chrome://extensions/?id=${id}`, { waitUntil: 'load' });
    await p.evaluate(enableDeveloperModeAndReload, id);
    return await pollUntil(`extension ${id} enabled again after its reload`, () => p.evaluate(readExtensionInfo, id), (info) => info.state === 'ENABLED');
  } finally {
    await p.close();
  }
}

/**
 * Runs in the Chromium service worker: records every action.setIcon call the background makes
 * (tab and 16 px path) and whether Chrome accepted it. Installed before the first page, so the
 * polyfill's wrapper, which looks the method up on first use, binds to the recorder.
 */
const recordSetIcon = (): void => {
  type SetIcon = (details: { tabId?: number; path?: Record<string, string> }) => Promise<void>;
  const g = globalThis as unknown as { chrome: { action: { setIcon: SetIcon } }; __cwIconCalls?: Array<{ tabId: number; icon16: string; ok: boolean | null }> };
  if (g.__cwIconCalls) return;
  const calls: Array<{ tabId: number; icon16: string; ok: boolean | null }> = [];
  g.__cwIconCalls = calls;
  const original = g.chrome.action.setIcon.bind(g.chrome.action);
  g.chrome.action.setIcon = (details) => {
    const call = { tabId: details.tabId ?? -1, icon16: details.path?.['16'] ?? '', ok: null as boolean | null };
    calls.push(call);
    const result = original(details);
    result.then(() => (call.ok = true), () => (call.ok = false));
    return result;
  };
};

const iconCalls = (tabId: number): Array<{ icon16: string; ok: boolean | null }> =>
  ((globalThis as unknown as { __cwIconCalls?: Array<{ tabId: number; icon16: string; ok: boolean | null }> }).__cwIconCalls ?? []).filter((c) => c.tabId === tabId);

/** Runs in an extension page: action.setIcon with the given paths for a tab (throws if an icon cannot be loaded). */
const setIconFor = async (tabId: number, paths: Record<string, string>): Promise<void> => {
  const g = globalThis as unknown as { browser?: { action: { setIcon(d: object): Promise<void> } }; chrome?: { action: { setIcon(d: object): Promise<void> } } };
  await (g.browser ?? g.chrome)!.action.setIcon({ tabId, path: paths });
};

/** Runs in an extension page: the icon file decodes to an image of `size` px. */
const iconSize = async (url: string): Promise<number> => {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  return bitmap.width === bitmap.height ? bitmap.width : -1;
};

describe('package: chromium loads the release build cleanly', () => {
  let b: E2EBrowser | undefined;
  let badCopy: string | undefined;
  beforeAll(async () => {
    b = await launch('chromium', { extensionDir: extensionDirFor('chromium'), hosts: {} });
  });
  afterAll(async () => {
    await b?.close();
    if (badCopy) rmSync(badCopy, { recursive: true, force: true });
  });

  it('has no manifest errors or install warnings', async () => {
    const info = await extensionInfo(b as E2EBrowser, (b as E2EBrowser).extensionId);
    expect(info.state).toBe('ENABLED');
    expect(info.manifestErrors).toEqual([]);
    expect(info.installWarnings).toEqual([]);
  });

  it('would see a warning if there were one (a copy with a key Chrome does not know)', async () => {
    badCopy = mkdtempSync(path.join(os.tmpdir(), 'cw-e2e-bad-manifest-'));
    cpSync(extensionDirFor('chromium'), badCopy, { recursive: true });
    const file = path.join(badCopy, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...manifest, name: 'bad copy', carrier_watch_unknown_key: true }));
    const id = await (b as E2EBrowser).browser.installExtension(badCopy);
    const info = await extensionInfo(b as E2EBrowser, id);
    expect(JSON.stringify([...info.manifestErrors, ...info.installWarnings])).toContain("Unrecognized manifest key 'carrier_watch_unknown_key'");
  });

  it('runs the popup and the options page under the strict CSP without a violation', async () => {
    const br = b as E2EBrowser;
    await br.waitForBackground();
    for (const page of ['src/popup/index.html?bench=50', 'src/options/index.html']) {
      const p = await br.newPage();
      // Recorded from the document's start: a blocked script, style or fetch fires this event.
      await p.evaluateOnNewDocument(() => {
        const seen: string[] = [];
        Object.assign(globalThis, { __cwCspViolations: seen });
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
      });
      await p.goto(`${br.extensionOrigin}/${page}`, { waitUntil: 'load' });
      await pollUntil(`${page} to render`, () => p.evaluate(() => (document.getElementById('app')?.childElementCount ?? 0) > 0), (x) => x);
      expect(await p.evaluate(() => (globalThis as unknown as { __cwCspViolations: string[] }).__cwCspViolations), page).toEqual([]);
      await p.close();
    }
  });

  it('screenshots the options page for the README (test-results/options-chromium.png)', async () => {
    const br = b as E2EBrowser;
    await br.waitForBackground();
    await br.setStorage('local', { settings: README_SETTINGS });
    const options = await br.openExtensionPage('src/options/index.html');
    await pollUntil('the options page to show the settings', () => options.evaluate(() => document.querySelector('[data-ready]') !== null), (ready) => ready);
    await options.setViewport({ width: 900, height: 1200 });
    // A full-page capture cannot show a sticky bar where it sits on screen: pin it in the flow.
    await options.evaluate(() => document.querySelector<HTMLElement>('.save-bar')?.style.setProperty('position', 'static'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await options.screenshot({ path: path.join(ARTIFACTS, 'options-chromium.png'), fullPage: true });
    await options.close();
  });
});

for (const kind of BROWSER_KINDS) {
  describe(`package: ${kind} toolbar icon`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    const br = (): E2EBrowser => b as E2EBrowser;

    async function load(p: Page, url: string): Promise<number> {
      await p.goto(url, { waitUntil: 'load' });
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 15_000 });
      return br().tabIdOf(p);
    }

    beforeAll(async () => {
      server = await startServer();
      server.site('news.site-p.test', { '/': page({ title: 'News', scripts: [server.url('cdn.watched-cdn.test', '/w.js')] }) });
      server.site('cdn.watched-cdn.test', { '/w.js': script() });
      server.site('clean.site-q.test', { '/': page({ title: 'Clean' }) });
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS });
      await b.waitForBackground();
      await b.setStorage('local', { settings: SETTINGS });
      if (kind === 'chromium') await (b as ChromiumE2EBrowser).evalInWorker(recordSetIcon);
    });
    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    it('shows the flagged icon with the badge, and the normal icon on a clean page', async () => {
      const p = await br().newPage();
      const tabId = await load(p, server!.url('news.site-p.test', '/'));
      await pollUntil(`badge "1" on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '1');
      const flagged = toolbarIconPaths('flagged');
      const normal = toolbarIconPaths('normal');

      if (kind === 'chromium') {
        const chromium = b as ChromiumE2EBrowser;
        const calls = await pollUntil('the flagged setIcon call to settle', () => chromium.evalInWorker(iconCalls, tabId), (c) => c.some((x) => x.icon16 === flagged['16'] && x.ok !== null));
        expect(calls.filter((c) => c.ok === false)).toEqual([]);
        expect(calls.at(-1)?.icon16).toBe(flagged['16']);

        await load(p, server!.url('clean.site-q.test', '/'));
        await pollUntil(`badge cleared on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '');
        const after = await pollUntil('the normal setIcon call to settle', () => chromium.evalInWorker(iconCalls, tabId), (c) => c.at(-1)?.icon16 === normal['16'] && c.at(-1)?.ok !== null);
        expect(after.at(-1)).toEqual({ tabId, icon16: normal['16'], ok: true });
      } else {
        // The same files through the same API: a missing or undecodable icon rejects here.
        await br().evalInExtension(setIconFor, tabId, flagged);
        await br().evalInExtension(setIconFor, tabId, normal);
        expect((await br().badge(tabId)).text).toBe('1');
      }

      for (const [size, file] of [...Object.entries(flagged), ...Object.entries(normal)]) {
        expect(await br().evalInExtension(iconSize, `${br().extensionOrigin}${file}`), file).toBe(Number(size));
      }
      await p.close();
    });
  });
}
