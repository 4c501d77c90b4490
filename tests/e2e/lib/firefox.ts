/**
 * Debian Firefox ESR driven by puppeteer-core 24 over WebDriver BiDi, with the unpacked
 * extension installed as a temporary add-on. Facts relied on are from
 * /work/shared/testing-in-browsers.md ("the doc").
 *
 * Firefox cannot evaluate in the event page from the outside, so extension API calls run in a
 * "control page": an extension document opened in its own tab (manifest.json by default).
 */
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type LaunchOptions as PuppeteerLaunchOptions, type Page } from 'puppeteer-core';
import type { E2EBrowser, LaunchOptions } from './browsers.ts';
import {
  closeAndClean,
  controlPagePath,
  evaluateIn,
  ExtensionHandleBase,
  makeTempProfile,
  NO_PUPPETEER_SIGNAL_HANDLERS,
  readManifest,
  type ExtApiGlobal,
  type LiveResource,
} from './internal.ts';
import { pollUntil, withTimeout, type PollOptions } from './poll.ts';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';

export const FIREFOX_PATH = process.env.CW_E2E_FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Fixed moz-extension UUID so extension URLs are predictable (extensions.webextensions.uuids). */
export const FIREFOX_EXTENSION_UUID = 'c0ffee00-ca11-4e2e-8e2e-000000000001';

/** Firefox's default extensions.background.idle.timeout (ms). */
const FIREFOX_DEFAULT_IDLE_MS = 30_000;

/**
 * Prefs that keep Firefox off the network except for the test hosts. puppeteer's own profile
 * defaults already disable safe browsing, updates, data reporting, normandy, blocklist and
 * search updates (pointing their servers at dummy.test); these add the rest.
 */
export const FIREFOX_QUIET_PREFS: Record<string, string | number | boolean> = {
  // Plain http to .test hosts, never upgraded (the doc).
  'dom.security.https_first': false,
  'dom.security.https_first_pbm': false,
  'dom.security.https_only_mode': false,
  // Captive portal / connectivity checks.
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'captivedetect.canonicalURL': '',
  // No proxy, no DNS-over-HTTPS, no HTTP/3 (parity with Chromium's --disable-quic).
  'network.proxy.type': 0,
  'network.trr.mode': 5,
  'network.http.http3.enable': false,
  // No speculative or prefetch traffic that would muddy request counts.
  'network.prefetch-next': false,
  'network.dns.disablePrefetch': true,
  'network.predictor.enabled': false,
  'network.http.speculative-parallel-limit': 0,
  'browser.urlbar.speculativeConnect.enabled': false,
  'browser.places.speculativeConnect.enabled': false,
  // Telemetry and studies.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'app.shield.optoutstudies.enabled': false,
  'app.normandy.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.topsites': false,
  'browser.topsites.contile.enabled': false,
  // Updates of the app, add-ons, system add-ons, plugins.
  'app.update.auto': false,
  'app.update.enabled': false,
  'extensions.update.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.blocklist.enabled': false,
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-gmpopenh264.enabled': false,
  // Safe browsing lists, region and geolocation lookups, OCSP.
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'geo.provider.network.url': '',
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'services.settings.poll_interval': 86_400,
  // UI noise.
  'browser.aboutConfig.showWarning': false,
  'browser.tabs.warnOnClose': false,
};

export interface FirefoxE2EBrowser extends E2EBrowser {
  readonly kind: 'firefox';
  /** The moz-extension UUID (fixed: FIREFOX_EXTENSION_UUID). */
  readonly extensionUuid: string;
}

export function firefoxPrefs(opts: LaunchOptions, geckoId: string): Record<string, string | number | boolean> {
  const toLoopback1: string[] = [];
  for (const [host, ip] of Object.entries(opts.hosts)) {
    if (host.includes('*')) {
      // forceResolve already sends every unlisted name to 127.0.0.2; anything else needs names.
      if (ip === '127.0.0.2') continue;
      throw new Error(`Firefox host mapping cannot map wildcards to ${ip} (${host}): list each host name`);
    }
    if (ip === '127.0.0.1') toLoopback1.push(host);
  }
  return {
    ...FIREFOX_QUIET_PREFS,
    'extensions.webextensions.uuids': JSON.stringify({ [geckoId]: FIREFOX_EXTENSION_UUID }),
    // The doc: localDomains → 127.0.0.1 wins; forceResolve sends every other name to 127.0.0.2.
    // No pref maps one host to an arbitrary IP, so 127.0.0.2 is "everything else".
    'network.dns.localDomains': toLoopback1.join(','),
    'network.dns.forceResolve': '127.0.0.2',
    // restart(): the temporary add-on is uninstalled at shutdown and installed again; keep its
    // storage (and its UUID, which the uuids pref above fixes anyway) through that uninstall.
    'extensions.webextensions.keepStorageOnUninstall': true,
    'extensions.webextensions.keepUuidOnUninstall': true,
    ...(opts.backgroundIdleTimeoutMs !== undefined
      ? { 'extensions.background.idle.timeout': opts.backgroundIdleTimeoutMs }
      : {}),
  };
}

/**
 * Grants add-on `geckoId` private-browsing access before it is installed: writes the profile's
 * extension-preferences.json (ExtensionPermissions' store) with `internal:privateBrowsingAllowed`.
 * Firefox ESR 153 keeps it through a later temporary install and starts the add-on with it. A
 * temporary install (BiDi webExtension.install, as puppeteer does it) does not get the
 * permission by itself; BiDi's `moz:allowPrivateBrowsing: true` grants it but then reloads the
 * add-on (remote/shared/Addon.sys.mjs: ExtensionPermissions.add, then addon.reload()).
 */
export function writePrivateBrowsingPermission(profileDir: string, geckoId: string): void {
  fs.writeFileSync(
    path.join(profileDir, 'extension-preferences.json'),
    JSON.stringify({ [geckoId]: { permissions: ['internal:privateBrowsingAllowed'], origins: [] } }),
  );
}

/** puppeteer launch options for `opts` on profile `userDataDir`. */
function launchOptions(opts: LaunchOptions, geckoId: string, userDataDir: string): PuppeteerLaunchOptions {
  return {
    browser: 'firefox',
    executablePath: opts.executablePath ?? FIREFOX_PATH,
    headless: true,
    userDataDir,
    dumpio: opts.dumpio ?? false,
    protocolTimeout: 30_000,
    ...NO_PUPPETEER_SIGNAL_HANDLERS,
    // Without it BiDi refuses navigation to moz-extension:// (the doc).
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: firefoxPrefs(opts, geckoId),
  };
}

export async function launchFirefox(opts: LaunchOptions): Promise<FirefoxE2EBrowser> {
  const started = Date.now();
  const manifest = readManifest(opts.extensionDir);
  const geckoId = manifest.browser_specific_settings?.gecko?.id;
  if (!geckoId) {
    throw new Error(`${opts.extensionDir}/manifest.json has no browser_specific_settings.gecko.id`);
  }
  const { dir, resource } = makeTempProfile('cw-e2e-firefox-');
  let browser: Browser | undefined;
  try {
    if (opts.allowPrivate) writePrivateBrowsingPermission(dir, geckoId);
    browser = await puppeteer.launch(launchOptions(opts, geckoId, dir));
    resource.pid = browser.process()?.pid;
    const backgroundPage = manifest.background?.page ?? '_generated_background_page.html';
    const handle = new FirefoxHandle(browser, geckoId, dir, resource, opts, backgroundPage);
    if (!opts.deferInstall) await handle.install();
    handle.launchMs = Date.now() - started;
    return handle;
  } catch (error) {
    await closeAndClean(browser, resource);
    throw error;
  }
}

/**
 * Closes `browser` gracefully (SIGKILL if that takes over 10 s) and waits for its process to
 * exit, leaving the profile on disk for a relaunch (closeAndClean without the removal). A
 * graceful close matters here: Firefox writes the profile's state on the way out.
 */
async function closeKeepingProfile(browser: Browser): Promise<void> {
  const proc = browser.process();
  await withTimeout('browser.close()', browser.close(), 10_000).catch(() => proc?.kill('SIGKILL'));
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    await withTimeout('the browser process to exit before the relaunch', new Promise<void>((resolve) => proc.once('exit', () => resolve())), 10_000);
  }
}

// Runs in the control page: asks the background whether it is ready. A missing listener
// (background not started, or listeners not registered yet) rejects; report it as a value.
const extPing = async (): Promise<{ reply?: unknown; error?: string }> => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  try {
    return { reply: (await api.runtime.sendMessage({ type: 'ping' })) as unknown };
  } catch (e) {
    return { error: String(e) };
  }
};

// Runs in the control page: whether the background document exists. extension.getViews()
// lists it while the event page runs and drops it when suspended, without waking it
// (getViews({ type: 'background' }) is rejected in MV3).
const extBackgroundAlive = (backgroundUrl: string): boolean => {
  const g = globalThis as unknown as ExtApiGlobal;
  const api = (g.browser ?? g.chrome) as WebExtBrowser;
  return api.extension.getViews().some((w) => w.location.href === backgroundUrl);
};

class FirefoxHandle extends ExtensionHandleBase implements FirefoxE2EBrowser {
  readonly kind = 'firefox' as const;
  readonly extensionUuid = FIREFOX_EXTENSION_UUID;
  readonly extensionOrigin = `moz-extension://${FIREFOX_EXTENSION_UUID}`;
  launchMs = 0;
  #installed = false;
  #control: Page | undefined;

  constructor(
    browser: Browser,
    readonly extensionId: string,
    readonly userDataDir: string,
    /** The base class's too: restart() records the new browser's pid in it. */
    private readonly live: LiveResource,
    opts: LaunchOptions,
    private readonly backgroundPage: string,
  ) {
    super(browser, live, opts);
  }

  get installed(): boolean {
    return this.#installed;
  }

  async install(): Promise<void> {
    if (this.#installed) throw new Error(`Firefox: the extension is already installed (${this.extensionId})`);
    const installedId = await this.browser.installExtension(this.opts.extensionDir);
    if (installedId !== this.extensionId) {
      throw new Error(`Firefox installed ${installedId}, expected the manifest's gecko id ${this.extensionId}`);
    }
    this.#installed = true;
    await this.#controlPage();
    if (this.opts.allowPrivate) await this.checkPrivateAllowed('extension-preferences.json was written before launch');
  }

  async restart(): Promise<void> {
    const wasInstalled = this.#installed;
    if (wasInstalled && this.opts.allowPrivate) await this.closePrivateWindows();
    await closeKeepingProfile(this.browser);
    // Shutting down uninstalled the temporary add-on (its storage stays: keepStorageOnUninstall).
    this.#installed = false;
    this.#control = undefined;
    // The uninstall may have dropped the add-on's permissions, the private-browsing grant with them.
    if (this.opts.allowPrivate) writePrivateBrowsingPermission(this.userDataDir, this.extensionId);
    const browser = await puppeteer.launch(launchOptions(this.opts, this.extensionId, this.userDataDir));
    // `browser` is readonly for test files; only a restart replaces it.
    (this as { browser: Browser }).browser = browser;
    this.live.pid = browser.process()?.pid;
    if (wasInstalled) await this.install();
  }

  #requireInstalled(): void {
    if (!this.#installed) {
      throw new Error('Firefox: the extension is not installed yet (launched with deferInstall): await install() first');
    }
  }

  async #controlPage(): Promise<Page> {
    this.#requireInstalled();
    if (this.#control && !this.#control.isClosed()) return this.#control;
    this.#control = await this.openExtensionPage(controlPagePath(this.opts.extensionDir, this.opts.controlPagePath));
    return this.#control;
  }

  override async evalInExtension<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    return evaluateIn(await this.#controlPage(), fn, args);
  }

  async waitForBackground(options: PollOptions = {}): Promise<void> {
    this.#requireInstalled();
    await pollUntil(
      `the Firefox background to answer runtime.sendMessage({ type: 'ping' }) with { ready: true }`,
      () => withTimeout('a ping to the background', this.evalInExtension(extPing), 5_000),
      (r) => (r.reply as { ready?: unknown } | undefined)?.ready === true,
      { timeoutMs: 15_000, intervalMs: 100, ...options },
    );
  }

  backgroundRunning(): Promise<boolean> {
    return this.evalInExtension(extBackgroundAlive, `${this.extensionOrigin}/${this.backgroundPage}`);
  }

  async stopBackground(options: PollOptions = {}): Promise<void> {
    this.#requireInstalled();
    // No API suspends an event page on demand; wait for the idle suspension (the doc: the event
    // page suspended after extensions.background.idle.timeout and restarted on the next request).
    const idle = this.opts.backgroundIdleTimeoutMs ?? FIREFOX_DEFAULT_IDLE_MS;
    await pollUntil(
      `the Firefox event page to suspend (extensions.background.idle.timeout = ${idle} ms; ` +
        `set LaunchOptions.backgroundIdleTimeoutMs low to make this quick)`,
      () => this.backgroundRunning(),
      (running) => !running,
      { timeoutMs: idle + 15_000, intervalMs: 100, ...options },
    );
  }

  newPage(): Promise<Page> {
    return this.browser.newPage();
  }

  async openExtensionPage(path: string): Promise<Page> {
    this.#requireInstalled();
    const url = new URL(`${this.extensionOrigin}/${path.replace(/^\/+/, '')}`).href;
    const page = await this.browser.newPage();
    // The doc: page.goto(moz-extension://…) times out and page.url() stays about:blank, yet the
    // page loads and evaluate works in it. So start the navigation, ignore its outcome, and poll
    // the document itself.
    page.goto(url, { timeout: 10_000 }).catch(() => undefined);
    await pollUntil(
      `extension page ${url} to load (location.href and readyState === 'complete')`,
      () => page.evaluate(() => [location.href, document.readyState] as const),
      ([href, state]) => href === url && state === 'complete',
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    return page;
  }

}
