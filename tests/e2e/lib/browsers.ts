/**
 * The one entry point test files use: `launch(kind, { extensionDir, hosts })` → E2EBrowser.
 * Every per-browser difference lives in chromium.ts / firefox.ts behind this interface.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from './chromium.ts';
import { launchFirefox } from './firefox.ts';
import type { PollOptions } from './poll.ts';
import type { LoopbackAddress } from './server.ts';

export type BrowserKind = 'chromium' | 'firefox';
export const BROWSER_KINDS = ['chromium', 'firefox'] as const satisfies readonly BrowserKind[];

/** Host name → the loopback address ("network") it resolves to inside the browser. */
export type HostMap = Record<string, LoopbackAddress>;

export interface LaunchOptions {
  /** Unpacked extension: dist/chrome for Chromium, dist/firefox for Firefox. */
  extensionDir: string;
  /**
   * Host names the browser may resolve, each to 127.0.0.1 or 127.0.0.2. Exact names, except
   * that "*.example.test" may map to 127.0.0.2 (Firefox's network.dns.localDomains has no
   * wildcards, but forceResolve sends every unlisted name there). Chromium fails every other name
   * (MAP * ~NOTFOUND); Firefox resolves every other name to 127.0.0.2 (network.dns.forceResolve),
   * so tests must not rely on an unlisted host failing.
   */
  hosts: HostMap;
  /**
   * Extension document (path inside the build) to run extension API calls from. Default:
   * manifest.json, which has the full extension API and runs none of the extension's code.
   */
  controlPagePath?: string;
  /**
   * Firefox only: extensions.background.idle.timeout in ms (Firefox's default is 30 s).
   * stopBackground() in Firefox waits for this idle suspension, so set it low (e.g. 1500) in
   * files that stop the background. Chromium ignores it.
   */
  backgroundIdleTimeoutMs?: number;
  /** Pipe the browser's stdout/stderr to this process (debugging). */
  dumpio?: boolean;
  /** Override the browser binary. */
  executablePath?: string;
  /**
   * Allow the extension in private windows (Chromium: incognito) from its very first start, so
   * nothing reloads it under the test. Written into the fresh profile before the browser starts,
   * and checked after install (extension.isAllowedIncognitoAccess()); launch()/install() fail if
   * it did not take. Needed by newPrivatePage(). Chromium: Default/Preferences
   * `extensions.settings.<id>.incognito = true`, the id computed from the extension dir's real
   * path and compared with the id Chromium reports. Firefox: `extension-preferences.json` granting
   * the gecko id `internal:privateBrowsingAllowed` (a temporary install does not get it).
   */
  allowPrivate?: boolean;
  /**
   * Start the browser without the extension: launch() resolves with the browser up and no
   * extension; `install()` installs it later (e.g. while a page is already loading). Until then
   * only newPage(), browser, userDataDir and close() work.
   */
  deferInstall?: boolean;
}

/** A tab in a private window, opened by newPrivatePage(). */
export interface PrivatePage {
  /** The tab's puppeteer page, at about:blank#<nonce> until the test navigates it. */
  page: Page;
  /** Its extension-visible tab id (tabs.Tab.incognito is true). */
  tabId: number;
  /** The private window it is the only tab of. */
  windowId: number;
}

export interface Badge {
  text: string;
  title: string;
}

export type StorageArea = 'local' | 'session';

export interface E2EBrowser {
  readonly kind: BrowserKind;
  /** The puppeteer-core Browser (CDP for Chromium, WebDriver BiDi for Firefox). */
  readonly browser: Browser;
  /**
   * Chromium: the extension id. Firefox: the gecko id from the manifest. With deferInstall,
   * Chromium's throws until install() has resolved.
   */
  readonly extensionId: string;
  /**
   * `chrome-extension://<id>` or `moz-extension://<fixed uuid>` (no trailing slash). With
   * deferInstall, Chromium's throws until install() has resolved.
   */
  readonly extensionOrigin: string;
  /** The fresh profile dir (removed by close()). */
  readonly userDataDir: string;
  /**
   * ms from launch() call to extension installed and background target seen (Firefox: and the
   * control page open). With deferInstall: to the browser being up, without the extension.
   */
  readonly launchMs: number;
  /** Whether the extension is installed (false only between a deferInstall launch and install()). */
  readonly installed: boolean;

  /**
   * Installs the extension into a browser launched with deferInstall (puppeteer
   * browser.installExtension), as launch() does by default: Chromium waits for the service
   * worker target, Firefox opens the control page. Afterwards every member works; call
   * waitForBackground() before relying on the extension's listeners. Throws if already installed.
   */
  install(): Promise<void>;

  /**
   * Resolves once the extension's background has registered its listeners and restored its
   * state. Chromium: `globalThis.__carrierWatchReady === true` in the service worker.
   * Firefox: the background answers runtime.sendMessage({ type: 'ping' }) with { ready: true }.
   * Call it before the first navigation (testing-in-browsers.md: the worker can appear before
   * its listeners are registered) and after stopBackground() + an event that restarts it.
   */
  waitForBackground(options?: PollOptions): Promise<void>;
  /**
   * Stops the background as the browser would when idle. Chromium: closes the service worker's
   * CDP target and waits until it is gone. Firefox: waits for the event page's idle suspension
   * (see LaunchOptions.backgroundIdleTimeoutMs). In-memory globals are lost; storage.session
   * and badges survive. The next webRequest event restarts it.
   */
  stopBackground(options?: PollOptions): Promise<void>;
  /** Whether the background is currently running (does not wake it). */
  backgroundRunning(): Promise<boolean>;

  /** A new tab. */
  newPage(): Promise<Page>;
  /**
   * Opens a new private window (Chromium: incognito) with one tab and returns that tab's
   * puppeteer page and tab id. The extension opens it (windows.create({ incognito: true }) via
   * evalInExtension): puppeteer's createBrowserContext() is a separate profile, not a private
   * window, and the extension cannot see its tabs as private. Needs LaunchOptions.allowPrivate.
   */
  newPrivatePage(): Promise<PrivatePage>;
  /**
   * Closes every private window (windows.remove) and waits until the extension sees no private
   * tab and every page newPrivatePage() returned is closed. Ends the private session (in both
   * browsers the private profile goes away with its last window). No-op without one.
   */
  closePrivateWindows(): Promise<void>;
  /** Opens `<extensionOrigin>/<path>` in a new normal tab and waits until it has loaded. */
  openExtensionPage(path: string): Promise<Page>;
  /**
   * Runs `fn(...args)` in an extension context with full extension APIs and returns its
   * JSON-serialisable result. Chromium: the service worker if it runs, else the control page.
   * Firefox: the control page. `fn` must be self-contained; use
   * `(globalThis.browser ?? globalThis.chrome)` inside it.
   */
  evalInExtension<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>>;

  /** Badge text and title of a tab (action.getBadgeText / getTitle). */
  badge(tabId: number): Promise<Badge>;
  /** The extension-visible tab id of a puppeteer page. */
  tabIdOf(page: Page): Promise<number>;
  /** Everything in chrome.storage[area]. */
  storage(area: StorageArea): Promise<Record<string, unknown>>;
  /** chrome.storage[area].set(items). */
  setStorage(area: StorageArea, items: Record<string, unknown>): Promise<void>;

  /**
   * Restarts the browser as a user would: closes it, keeping its profile, and launches it again
   * on the same profile with the same flags, host mapping and prefs, and the same extension
   * (if it was installed). Afterwards `browser` is the new puppeteer Browser; every page,
   * private window and handle from before is gone; storage.session and badges are empty (the
   * browser's rules), storage.local and the profile are kept. Call
   * waitForBackground() before relying on the extension's listeners.
   *
   * Chromium: an extension loaded through CDP, as launch() loads it, is not loaded again by
   * the next start, and Chromium 156 drops its prefs entry (extensions.settings.<id>: the
   * incognito grant, the enabled static rulesets) there. The relaunch passes
   * `--load-extension=<extensionDir>`: the extension starts with the browser as a fresh
   * command-line install under the same id (derived from its folder's path), and finds its
   * storage.local. So what the extension keeps in storage it keeps; what Chromium keeps for it
   * in prefs it must set again at start, which is stricter than a real restart. With
   * allowPrivate the incognito grant is written again before the relaunch.
   *
   * Firefox: a temporary add-on (BiDi installExtension) is uninstalled when Firefox shuts down
   * and is installed again here, after the browser is up. Firefox deletes an add-on's storage
   * when it is uninstalled unless `extensions.webextensions.keepStorageOnUninstall` is true
   * (Mozilla's "testing persistent and restart features" advice, with `keepUuidOnUninstall`),
   * so every test profile sets both: the reinstalled add-on finds the storage.local it had, as
   * a permanently installed add-on would after a restart. (In ESR 153 storage.local also
   * survived a restart without the pref, in one check: the pref keeps the result from hanging
   * on whether the uninstall's cleanup runs during shutdown.) What it means for tests: an
   * uninstall never clears storage in these profiles; and the add-on comes back as a fresh
   * install (runtime.onInstalled reason "install", not onStartup), started once the browser is
   * up rather than with it. With allowPrivate the private-browsing grant is written again
   * before the relaunch.
   */
  restart(): Promise<void>;

  /** Closes the browser and removes the profile dir. Idempotent; safe after a failed test. */
  close(): Promise<void>;
}

/**
 * Launches `kind` with the unpacked extension at `opts.extensionDir` installed (or, with
 * `deferInstall`, ready to be installed by `install()`).
 */
export function launch(kind: BrowserKind, opts: LaunchOptions): Promise<E2EBrowser> {
  const resolved = { ...opts, extensionDir: path.resolve(opts.extensionDir) };
  switch (kind) {
    case 'chromium':
      return launchChromium(resolved);
    case 'firefox':
      return launchFirefox(resolved);
  }
}

/**
 * The unpacked build for `kind`: env CW_E2E_CHROME_DIR / CW_E2E_FIREFOX_DIR, defaulting to
 * dist/chrome and dist/firefox under the repo root.
 */
export function extensionDirFor(kind: BrowserKind): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return kind === 'chromium'
    ? path.resolve(root, process.env.CW_E2E_CHROME_DIR ?? 'dist/chrome')
    : path.resolve(root, process.env.CW_E2E_FIREFOX_DIR ?? 'dist/firefox');
}
