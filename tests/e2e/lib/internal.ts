/**
 * Shared plumbing for chromium.ts and firefox.ts (not meant for test files).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page, WebWorker } from 'puppeteer-core';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';
import type { Badge, LaunchOptions, PrivatePage, StorageArea } from './browsers.ts';
import { pollUntil, withTimeout } from './poll.ts';

// ---------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------

export interface ManifestSubset {
  manifest_version?: number;
  background?: { service_worker?: string; scripts?: string[]; page?: string };
  browser_specific_settings?: { gecko?: { id?: string } };
}

export function readManifest(extensionDir: string): ManifestSubset {
  const file = path.join(extensionDir, 'manifest.json');
  if (!fs.existsSync(file)) {
    throw new Error(
      `No manifest.json in ${extensionDir}: build the extension first (npm run build) or point ` +
        `CW_E2E_CHROME_DIR / CW_E2E_FIREFOX_DIR at an unpacked extension`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ManifestSubset;
}

/**
 * Extension page used as the "control page" to run extension API calls from (Firefox always,
 * Chromium while its worker is stopped). Default: the extension's own manifest.json. Opened as a
 * tab it is a document of the extension's origin with the full extension API (checked in
 * Chromium 156 and Firefox ESR 153) and, unlike the popup, runs none of the extension's code,
 * so it neither wakes the background nor changes its state.
 */
export function controlPagePath(extensionDir: string, override?: string): string {
  const rel = (override ?? 'manifest.json').replace(/^\/+/, '');
  const file = rel.split(/[?#]/)[0] ?? rel;
  if (!fs.existsSync(path.join(extensionDir, file))) {
    throw new Error(`control page ${rel} does not exist in ${extensionDir}`);
  }
  return rel;
}

// ---------------------------------------------------------------------------------------------
// Temp dirs and last-resort cleanup
// ---------------------------------------------------------------------------------------------

export interface LiveResource {
  dir: string;
  pid: number | undefined;
}
const live = new Set<LiveResource>();
let hooksInstalled = false;

/** SIGKILLs every live browser and removes every live profile dir, synchronously. */
function killAndRemoveAll(): void {
  for (const r of live) {
    if (r.pid !== undefined) {
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
  live.clear();
}

/**
 * The launches pass handleSIGINT/SIGTERM/SIGHUP: false to puppeteer: its SIGINT handler calls
 * process.exit(130), which vitest intercepts in its workers, so only the first browser got
 * killed and the others (spawned in their own process group, so Ctrl-C does not reach them)
 * outlived the run. Instead every live browser is killed here; the test awaiting it then fails
 * fast and the worker ends normally.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAndRemoveAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, killAndRemoveAll);
}

/** puppeteer launch options that leave signal handling to {@link installHooks}. */
export const NO_PUPPETEER_SIGNAL_HANDLERS = { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false } as const;

/**
 * Creates a fresh temp profile dir and registers it so it is removed (and the browser killed)
 * even if the test process is interrupted or exits without calling close().
 */
export function makeTempProfile(prefix: string): { dir: string; resource: LiveResource } {
  installHooks();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const resource: LiveResource = { dir, pid: undefined };
  live.add(resource);
  return { dir, resource };
}

/**
 * Closes the browser (gracefully, then SIGKILL) and removes the profile dir. Never throws
 * because of the browser; it throws only if the dir cannot be removed.
 */
export async function closeAndClean(browser: Browser | undefined, resource: LiveResource): Promise<void> {
  if (browser) {
    const proc = browser.process();
    try {
      await withTimeout('browser.close()', browser.close(), 10_000);
    } catch {
      proc?.kill('SIGKILL');
    }
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await withTimeout(
        'browser process to exit after SIGKILL',
        new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        }),
        10_000,
      ).catch(() => undefined);
    }
  } else if (resource.pid !== undefined) {
    try {
      process.kill(resource.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  // Retries: the browser may still be flushing files for a moment after it exited.
  await fs.promises.rm(resource.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  live.delete(resource);
}

// ---------------------------------------------------------------------------------------------
// Evaluation helpers
// ---------------------------------------------------------------------------------------------

export type EvalTarget = Page | WebWorker;

/**
 * Typed wrapper around page/worker.evaluate. The function is serialised with toString() and
 * run in the extension context, so it must be self-contained (no closures, no imports).
 */
export function evaluateIn<A extends unknown[], R>(
  target: EvalTarget,
  fn: (...args: A) => R,
  args: A,
): Promise<Awaited<R>> {
  // puppeteer's EvaluateFunc<Params> maps handle types through InnerParams<>, which TS cannot
  // resolve for a generic A; the runtime contract (JSON-serialisable args) is the same.
  const evaluate = target.evaluate.bind(target) as unknown as (f: (...a: A) => R, ...a: A) => Promise<Awaited<R>>;
  return evaluate(fn, ...args);
}

/** Shape of the extension API global in both browsers (promise-based in MV3 Chrome too). */
export type ExtApiGlobal = { browser?: WebExtBrowser; chrome?: WebExtBrowser };

// The functions below run INSIDE the extension (worker or extension page). Each one looks up
// the API itself because serialised functions cannot close over module scope.

export const extReadBadge = async (tabId: number): Promise<{ text: string; title: string }> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  const [text, title] = await Promise.all([api.action.getBadgeText({ tabId }), api.action.getTitle({ tabId })]);
  return { text, title };
};

export const extTabsByUrl = async (url: string): Promise<Array<{ id: number; title: string }>> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  const tabs = await api.tabs.query({});
  return tabs.filter((t) => t.url === url).map((t) => ({ id: t.id ?? -1, title: t.title ?? '' }));
};

export const extTabsByTitle = async (title: string): Promise<number[]> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  const tabs = await api.tabs.query({});
  return tabs.filter((t) => t.title === title).map((t) => t.id ?? -1);
};

export const extStorageGet = async (area: 'local' | 'session'): Promise<Record<string, unknown>> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  return (await api.storage[area].get(null)) as Record<string, unknown>;
};

export const extStorageSet = async (area: 'local' | 'session', items: Record<string, unknown>): Promise<void> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  await api.storage[area].set(items);
};

export const extAllowedIncognito = (): Promise<boolean> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  return api.extension.isAllowedIncognitoAccess();
};

export interface OpenedPrivateWindow {
  windowId: number;
  tabId: number;
  windowIncognito: boolean;
  tabIncognito: boolean;
}

export const extOpenPrivateWindow = async (url: string): Promise<OpenedPrivateWindow> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  const win = await api.windows.create({ incognito: true, url });
  const tab = win.tabs?.[0];
  return { windowId: win.id ?? -1, tabId: tab?.id ?? -1, windowIncognito: win.incognito, tabIncognito: tab?.incognito ?? false };
};

export const extPrivateWindowIds = async (): Promise<number[]> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  return (await api.windows.getAll()).filter((w) => w.incognito).map((w) => w.id ?? -1);
};

export const extRemoveWindows = async (windowIds: number[]): Promise<void> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  for (const id of windowIds) await api.windows.remove(id);
};

export const extPrivateTabIds = async (): Promise<number[]> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  return (await api.tabs.query({})).filter((t) => t.incognito).map((t) => t.id ?? -1);
};

/**
 * The puppeteer page whose document is at `url` (its own location.href: page.url() lags in
 * Firefox, and pages of a private window are not told apart by puppeteer's browser contexts).
 */
export function pageWithHref(browser: Browser, url: string): Promise<Page> {
  return pollUntil(
    `a puppeteer page whose location.href is ${url}`,
    async () => {
      for (const page of await browser.pages()) {
        if (page.isClosed()) continue;
        const href = await withTimeout('location.href of a page', page.evaluate(() => location.href), 2_000).catch(() => undefined);
        if (href === url) return page;
      }
      return undefined;
    },
    (page) => page !== undefined,
    { timeoutMs: 10_000 },
  ) as Promise<Page>;
}

/**
 * Finds the tab id of a puppeteer page, from an extension context.
 * First by URL (the page's own location.href: puppeteer's page.url() can lag, e.g. it reads
 * about:blank for moz-extension pages in Firefox, testing-in-browsers.md). If several tabs share
 * the URL, the page's title is set to a nonce for the lookup and then restored.
 */
export async function findTabId(page: Page, run: <A extends unknown[], R>(fn: (...args: A) => R, ...args: A) => Promise<Awaited<R>>): Promise<number> {
  const url = await pollUntil(
    'the page to report its location.href',
    () => page.evaluate(() => location.href),
    (u) => u !== 'about:blank',
    { timeoutMs: 10_000 },
  );
  const matches = await pollUntil(
    `a tab with url ${url} to be visible to the extension (tabs.query needs host permissions or "tabs" to see URLs)`,
    () => run(extTabsByUrl, url),
    (m) => m.length > 0,
    { timeoutMs: 10_000 },
  );
  if (matches.length === 1 && matches[0]) return matches[0].id;
  const original = await page.evaluate(() => document.title);
  const nonce = `cw-e2e-tab-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await page.evaluate((t) => {
    document.title = t;
  }, nonce);
  try {
    const ids = await pollUntil(
      `exactly one tab titled ${nonce} (disambiguating ${matches.length} tabs with url ${url})`,
      () => run(extTabsByTitle, nonce),
      (m) => m.length === 1,
      { timeoutMs: 10_000 },
    );
    return ids[0] as number;
  } finally {
    await page.evaluate((t) => {
      document.title = t;
    }, original);
  }
}

// ---------------------------------------------------------------------------------------------
// What both browsers' handles do alike, through each one's own evalInExtension
// ---------------------------------------------------------------------------------------------

export abstract class ExtensionHandleBase {
  #closed = false;
  /** Pages newPrivatePage() returned and closePrivateWindows() has not seen closed yet. */
  readonly #privatePages = new Set<Page>();

  protected constructor(
    readonly browser: Browser,
    private readonly resource: LiveResource,
    protected readonly opts: LaunchOptions,
  ) {}

  abstract evalInExtension<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>>;

  /**
   * After install with allowPrivate: fails unless the extension reports private-window access.
   * Polled because a just-started Chromium worker can reject an evaluation before its extension
   * API is set up (seen: "chrome is not defined").
   */
  protected async checkPrivateAllowed(how: string): Promise<void> {
    const allowed = await pollUntil(
      'extension.isAllowedIncognitoAccess() to answer',
      () => this.evalInExtension(extAllowedIncognito),
      (v) => typeof v === 'boolean',
      { timeoutMs: 15_000 },
    );
    if (!allowed) {
      throw new Error(`allowPrivate: the extension is not allowed in private windows after install (${how})`);
    }
  }

  async newPrivatePage(): Promise<PrivatePage> {
    if (!this.opts.allowPrivate) throw new Error('newPrivatePage() needs launch(kind, { allowPrivate: true, … })');
    // A unique URL to find the tab's puppeteer page by (see pageWithHref).
    const url = `about:blank#cw-e2e-private-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const opened = await this.evalInExtension(extOpenPrivateWindow, url);
    if (!opened.windowIncognito || !opened.tabIncognito || opened.tabId < 0) {
      throw new Error(`windows.create({ incognito: true }) did not open a private tab: ${JSON.stringify(opened)}`);
    }
    const page = await pageWithHref(this.browser, url);
    this.#privatePages.add(page);
    return { page, tabId: opened.tabId, windowId: opened.windowId };
  }

  async closePrivateWindows(): Promise<void> {
    const windowIds = await this.evalInExtension(extPrivateWindowIds);
    if (windowIds.length > 0) await this.evalInExtension(extRemoveWindows, windowIds);
    await pollUntil('the extension to see no private tab', () => this.evalInExtension(extPrivateTabIds), (ids) => ids.length === 0);
    const pages = [...this.#privatePages];
    await pollUntil(
      'every page of the private windows to be closed in puppeteer',
      () => pages.filter((p) => !p.isClosed()).length,
      (open) => open === 0,
    );
    this.#privatePages.clear();
  }

  badge(tabId: number): Promise<Badge> {
    return this.evalInExtension(extReadBadge, tabId);
  }

  tabIdOf(page: Page): Promise<number> {
    return findTabId(page, (fn, ...args) => this.evalInExtension(fn, ...args));
  }

  storage(area: StorageArea): Promise<Record<string, unknown>> {
    return this.evalInExtension(extStorageGet, area);
  }

  setStorage(area: StorageArea, items: Record<string, unknown>): Promise<void> {
    return this.evalInExtension(extStorageSet, area, items);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeAndClean(this.browser, this.resource);
  }
}
