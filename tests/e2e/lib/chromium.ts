/**
 * Debian Chromium driven by puppeteer-core 24 over CDP (pipe), with the unpacked extension
 * loaded. Facts relied on are from /work/shared/testing-in-browsers.md ("the doc").
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type LaunchOptions as PuppeteerLaunchOptions, type Page, type Target, type WebWorker } from 'puppeteer-core';
import type { E2EBrowser, LaunchOptions } from './browsers.ts';
import {
  closeAndClean,
  controlPagePath,
  evaluateIn,
  ExtensionHandleBase,
  makeTempProfile,
  NO_PUPPETEER_SIGNAL_HANDLERS,
  readManifest,
  type LiveResource,
  type ManifestSubset,
} from './internal.ts';
import { pollUntil, withTimeout, type PollOptions } from './poll.ts';

/** The real binary: /usr/bin/chromium is a wrapper script that adds its own flags (the doc). */
export const CHROMIUM_PATH = process.env.CW_E2E_CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

/** Flags the closed network here needs (the doc, "Chromium"); a fresh profile is added per launch. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
] as const;

export interface ChromiumE2EBrowser extends E2EBrowser {
  readonly kind: 'chromium';
  /** Waits for the extension's service worker to run and report `__carrierWatchReady`. */
  waitForWorker(options?: PollOptions): Promise<WebWorker>;
  /** Closes the service worker's CDP target (= stops the worker) and waits until it is gone. */
  stopWorker(options?: PollOptions): Promise<void>;
  /** Runs `fn` in the running service worker (throws if none runs: see waitForWorker). */
  evalInWorker<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>>;
}

/** `--host-resolver-rules` value: every listed host to its loopback address, all else fails. */
export function hostResolverRules(hosts: LaunchOptions['hosts']): string {
  const rules = Object.entries(hosts).map(([host, ip]) => `MAP ${host} ${ip}`);
  return [...rules, 'MAP * ~NOTFOUND'].join(', ');
}

/**
 * The id Chromium gives an unpacked extension: SHA-256 of its absolute path, the first 32 hex
 * digits mapped 0-f → a-p. Chromium hashes the real path (symlinks resolved, no trailing slash:
 * checked in Chromium 156, where a symlinked dir got the id of its target).
 */
export function unpackedExtensionId(extensionDir: string): string {
  const hex = createHash('sha256').update(fs.realpathSync(extensionDir)).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode('a'.charCodeAt(0) + parseInt(digit, 16))).join('');
}

/**
 * Allows extension `id` in incognito windows from its first start: writes
 * `extensions.settings.<id>.incognito = true` into the fresh profile's Default/Preferences.
 * Chromium 156 (Debian, Linux) keeps it when it then installs the extension: the tracked-pref
 * MACs (protection.macs.extensions.settings.<id>) are not enforced on Linux; a missing or a wrong
 * MAC is recomputed, not reset, and no prefs.tracked_preferences_reset appears.
 */
export function writeIncognitoPref(userDataDir: string, id: string): void {
  const dir = path.join(userDataDir, 'Default');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'Preferences'), JSON.stringify({ extensions: { settings: { [id]: { incognito: true } } } }));
}

/**
 * puppeteer launch options for `opts` on profile `userDataDir`. `extraArgs`: restart() adds
 * `--load-extension`.
 */
function launchOptions(opts: LaunchOptions, userDataDir: string, extraArgs: string[] = []): PuppeteerLaunchOptions {
  return {
    executablePath: opts.executablePath ?? CHROMIUM_PATH,
    headless: true,
    // Extensions are loaded via CDP Extensions.loadUnpacked, which needs the pipe transport.
    pipe: true,
    // `true` (not `[dir]`): puppeteer 24.43 does not await the installs it starts for a list
    // (`Promise.all([paths.map(...)])`), so we install below and get the id back.
    enableExtensions: true,
    userDataDir,
    dumpio: opts.dumpio ?? false,
    // Fail a hung protocol call well within a test's 60 s instead of puppeteer's 180 s.
    protocolTimeout: 30_000,
    ...NO_PUPPETEER_SIGNAL_HANDLERS,
    args: [
      ...CHROMIUM_FLAGS,
      // One array element, no shell quoting (the doc).
      `--host-resolver-rules=${hostResolverRules(opts.hosts)}`,
      ...extraArgs,
    ],
  };
}

/**
 * Before restart() with allowPrivate. At its next start Chromium 156 drops the prefs entry of an
 * extension loaded through CDP (Default/Preferences extensions.settings.<id>), the incognito grant
 * with it, and the relaunch's --load-extension installs it afresh: a grant merged into the old
 * entry was reset (checked), one in an entry put back to what writeIncognitoPref() writes before
 * the first launch was kept (checked). So the entry is replaced; the rest of the file stays.
 */
function resetIncognitoPref(userDataDir: string, id: string): void {
  const file = path.join(userDataDir, 'Default', 'Preferences');
  const prefs = JSON.parse(fs.readFileSync(file, 'utf8')) as { extensions?: { settings?: Record<string, unknown> } };
  prefs.extensions = { ...prefs.extensions, settings: { ...prefs.extensions?.settings, [id]: { incognito: true } } };
  fs.writeFileSync(file, JSON.stringify(prefs));
}

export async function launchChromium(opts: LaunchOptions): Promise<ChromiumE2EBrowser> {
  const started = Date.now();
  const manifest = readManifest(opts.extensionDir);
  const { dir, resource } = makeTempProfile('cw-e2e-chromium-');
  let browser: Browser | undefined;
  try {
    const expectedId = opts.allowPrivate ? unpackedExtensionId(opts.extensionDir) : undefined;
    if (expectedId !== undefined) writeIncognitoPref(dir, expectedId);
    browser = await puppeteer.launch(launchOptions(opts, dir));
    resource.pid = browser.process()?.pid;
    const handle = new ChromiumHandle(browser, dir, resource, opts, manifest, expectedId);
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
 * exit, leaving the profile on disk for a relaunch (closeAndClean without the removal).
 */
async function closeKeepingProfile(browser: Browser): Promise<void> {
  const proc = browser.process();
  await withTimeout('browser.close()', browser.close(), 10_000).catch(() => proc?.kill('SIGKILL'));
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    await withTimeout('the browser process to exit before the relaunch', new Promise<void>((resolve) => proc.once('exit', () => resolve())), 10_000);
  }
}

class ChromiumHandle extends ExtensionHandleBase implements ChromiumE2EBrowser {
  readonly kind = 'chromium' as const;
  launchMs = 0;
  #controlPage: Page | undefined;
  /** Set by install(). */
  #extension: { id: string; origin: string } | undefined;

  constructor(
    browser: Browser,
    readonly userDataDir: string,
    /** The base class's too: restart() records the new browser's pid in it. */
    private readonly live: LiveResource,
    opts: LaunchOptions,
    private readonly manifest: ManifestSubset,
    /** With allowPrivate: the id the incognito pref was written for. */
    private readonly expectedId: string | undefined,
  ) {
    super(browser, live, opts);
  }

  get installed(): boolean {
    return this.#extension !== undefined;
  }

  get extensionId(): string {
    return this.#installed().id;
  }

  get extensionOrigin(): string {
    return this.#installed().origin;
  }

  #installed(): { id: string; origin: string } {
    if (!this.#extension) {
      throw new Error('Chromium: the extension is not installed yet (launched with deferInstall): await install() first');
    }
    return this.#extension;
  }

  async install(): Promise<void> {
    if (this.#extension) throw new Error(`Chromium: the extension is already installed (${this.#extension.id})`);
    const id = await this.browser.installExtension(this.opts.extensionDir);
    if (this.expectedId !== undefined && id !== this.expectedId) {
      throw new Error(
        `Chromium installed ${this.opts.extensionDir} as ${id}, but the id computed from its real path ` +
          `(${fs.realpathSync(this.opts.extensionDir)}) is ${this.expectedId}: the incognito pref ` +
          `(allowPrivate) was written for the wrong id; see unpackedExtensionId()`,
      );
    }
    const origin = `chrome-extension://${id}`;
    this.#extension = { id, origin };
    await this.#extensionStarted(`Default/Preferences extensions.settings.${id}.incognito was written before launch`);
  }

  /** After install or restart: the worker target is up and, with allowPrivate, private access holds. */
  async #extensionStarted(how: string): Promise<void> {
    if (this.manifest.manifest_version === 3) {
      await this.browser.waitForTarget((t) => this.#isOurWorker(t), { timeout: 15_000 }).catch((e: unknown) => {
        throw new Error(`Chromium: no service worker target for ${this.extensionOrigin} within 15 s: ${String(e)}`);
      });
    }
    if (this.opts.allowPrivate) await this.checkPrivateAllowed(how);
  }

  async restart(): Promise<void> {
    const extension = this.#extension;
    if (extension && this.opts.allowPrivate) await this.closePrivateWindows();
    await closeKeepingProfile(this.browser);
    this.#controlPage = undefined;
    if (extension && this.opts.allowPrivate) resetIncognitoPref(this.userDataDir, extension.id);
    // An extension loaded through CDP is not loaded again at the next start (its prefs entry is
    // dropped); --load-extension loads it with the browser, under the same path-derived id, so
    // it finds the storage it had.
    const browser = await puppeteer.launch(launchOptions(this.opts, this.userDataDir, extension ? [`--load-extension=${this.opts.extensionDir}`] : []));
    // `browser` is readonly for test files; only a restart replaces it.
    (this as { browser: Browser }).browser = browser;
    this.live.pid = browser.process()?.pid;
    if (extension) await this.#extensionStarted(`after restart(), on the profile where ${extension.id} had it`);
  }

  #isOurWorker(t: Target): boolean {
    return this.#extension !== undefined && t.type() === 'service_worker' && t.url().startsWith(`${this.#extension.origin}/`);
  }

  #workerTarget(): Target | undefined {
    return this.browser.targets().find((t) => this.#isOurWorker(t));
  }

  /** The running worker, attaching if needed; undefined if none runs. */
  async #runningWorker(): Promise<WebWorker | undefined> {
    const target = this.#workerTarget();
    if (!target) return undefined;
    // target.worker() attaches; bound it in case the worker dies mid-attach.
    return (await withTimeout('attaching to the service worker', target.worker(), 5_000)) ?? undefined;
  }

  async waitForWorker(options: PollOptions = {}): Promise<WebWorker> {
    this.#installed();
    // The doc: the `serviceworker` event can fire before the worker registered its listeners,
    // so readiness is the background's own flag, set after listeners + state restore.
    return pollUntil(
      `the service worker of ${this.extensionOrigin} to set globalThis.__carrierWatchReady = true`,
      async () => {
        const worker = await this.#runningWorker();
        if (!worker) return undefined;
        const ready = await withTimeout(
          'the readiness probe in the service worker',
          worker.evaluate(() => (globalThis as { __carrierWatchReady?: unknown }).__carrierWatchReady === true),
          5_000,
        );
        return ready ? worker : undefined;
      },
      (w) => w !== undefined,
      { timeoutMs: 15_000, intervalMs: 50, ...options },
    ) as Promise<WebWorker>;
  }

  async waitForBackground(options?: PollOptions): Promise<void> {
    await this.waitForWorker(options);
  }

  async stopWorker(options: PollOptions = {}): Promise<void> {
    const worker = await this.#runningWorker();
    if (!worker) return;
    // Target.closeTarget on the service_worker target stops it (the doc; WebWorker.close() does
    // exactly that). ServiceWorker.stopAllWorkers from a browser session did not work.
    await worker.close();
    await pollUntil(
      `the service worker target of ${this.extensionOrigin} to disappear after closing it`,
      () => this.#workerTarget() === undefined,
      (gone) => gone,
      { timeoutMs: 10_000, ...options },
    );
  }

  stopBackground(options?: PollOptions): Promise<void> {
    return this.stopWorker(options);
  }

  async backgroundRunning(): Promise<boolean> {
    return this.#workerTarget() !== undefined;
  }

  async evalInWorker<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    const worker = await this.#runningWorker();
    if (!worker) {
      throw new Error(
        `no service worker is running for ${this.extensionOrigin} (stopped by stopWorker() or idle); ` +
          `trigger an event (e.g. load a page) and await waitForWorker() first`,
      );
    }
    return evaluateIn(worker, fn, args);
  }

  override async evalInExtension<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    // Prefer the worker (no extra tab), but never wake it: a stopped worker must stay stopped so
    // tests can check what survives a restart (badges, storage.session).
    const worker = await this.#runningWorker().catch(() => undefined);
    if (worker) {
      try {
        return await evaluateIn(worker, fn, args);
      } catch (error) {
        // The worker can be stopped between the lookup and the call; fall back below.
        if (this.#workerTarget()) throw error;
      }
    }
    return evaluateIn(await this.#control(), fn, args);
  }

  async #control(): Promise<Page> {
    if (this.#controlPage && !this.#controlPage.isClosed()) return this.#controlPage;
    const rel = controlPagePath(this.opts.extensionDir, this.opts.controlPagePath);
    this.#controlPage = await this.openExtensionPage(rel);
    return this.#controlPage;
  }

  newPage(): Promise<Page> {
    return this.browser.newPage();
  }

  async openExtensionPage(path: string): Promise<Page> {
    const page = await this.browser.newPage();
    // chrome-extension:// pages open in normal tabs and load like any page (the doc).
    await page.goto(`${this.extensionOrigin}/${path.replace(/^\/+/, '')}`, { waitUntil: 'load' });
    return page;
  }

}
