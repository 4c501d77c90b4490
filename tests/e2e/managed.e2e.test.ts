/**
 * The organisation's settings (storage.managed), written the way an administrator writes them
 * (lib/policies.ts: Chromium's /etc/chromium/policies/managed/*.json, Firefox's
 * distribution/policies.json) before the browser starts, in real Chromium and Firefox ESR. The
 * policy blocks, locks the settings and carries one invalid value (minConfidence "extreme"),
 * which must be set aside on its own while the rest applies. The user's own stored settings say
 * Warn, allow the test site and allowlist it; the test server's log proves the policy wins.
 *
 * Flagged here: www.cmpassport.com (a China Mobile phone-number login gateway of the bundled
 * list) and cdn.flagged.test (the policy's customDomains). ct.test is on 127.0.0.2, which the
 * user's own range gives to China Telecom, an operator the policy leaves out: it stays unflagged.
 *
 * The policy also turns network-data updates on (dataUpdates) from its own mirror
 * (dataUpdateUrl, the test server): the server hears the check the user never turned on, and the
 * file it serves, a bundle signed with a key made here rather than the one pinned in the build,
 * is rejected and reported while the shipped data stays in use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { Browser as WebExtBrowser } from 'webextension-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GECKO_ID } from '../../scripts/manifest-for-browser.ts';
import type { BlockExplanation, TabReply } from '../../src/background/messages.ts';
import type { Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type BrowserKind, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { unpackedExtensionId } from './lib/chromium.ts';
import { LOOPBACK_FLAGGED_SETTINGS } from './lib/flagged-settings.ts';
import { CHROMIUM_POLICY_FILE, FIREFOX_POLICY_FILE, installChromiumPolicy, installFirefoxPolicy, type InstalledPolicy } from './lib/policies.ts';
import { CHECKOUT_HOSTS, checkoutSite, extDnrState } from './lib/checkout-site.ts';
import { committedDataDate, committedFiles, generateBundleKeys, signedBundle } from '../../src/data/test-bundles.ts';
import type { DataStatus } from '../../src/background/messages.ts';
import { pollUntil } from './lib/poll.ts';
import { startServer, type TestServer } from './lib/server.ts';
import { endpointOf, settle, storedTab } from './lib/waits.ts';

const HOSTS: HostMap = {
  // The policy's update mirror, by address (Chromium's test resolver rules catch address literals too).
  '127.0.0.1': '127.0.0.1',
  'shop.test': '127.0.0.1',
  'www.cmpassport.com': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'ct.test': '127.0.0.2',
};

const MIRROR_PATH = '/mirror/carrier-watch-data.cwdata';

/** The policy; its update mirror is the test server, whose port is known once it runs. */
const policyFor = (mirror: string) =>
  ({
    protection: 'block',
    blockPhoneLogin: true,
    operators: ['china-mobile', 'china-unicom', 'custom'],
    minConfidence: 'extreme',
    customDomains: [{ domain: 'flagged.test', operator: 'china-mobile' }],
    lockSettings: true,
    dataUpdates: true,
    dataUpdateUrl: mirror,
  }) as const;

/**
 * What the user stored: Warn, the test site allowed ("Allow on this site") and allowlisted, and
 * no domain of their own (flagged.test is flagged by the policy alone). Locked settings drop
 * both of the user's exceptions. The user's range 127.0.0.2/32 (China Telecom) stays: the
 * policy sets no customCidrs.
 */
const USER: Settings = {
  ...LOOPBACK_FLAGGED_SETTINGS,
  user: { ...LOOPBACK_FLAGGED_SETTINGS.user, domains: [], allowlist: ['shop.test'] },
  protection: { mode: 'warn', blockPhoneLogin: false, allowedSites: ['shop.test'] },
};

const HOSTS_SEEN = CHECKOUT_HOSTS;
type Got = Record<(typeof HOSTS_SEEN)[number], number>;
/** The policy's operators leave China Telecom out, so ct.test is reached; the rest never is. */
const BLOCKED_BY_POLICY: Got = { 'www.cmpassport.com': 0, 'cdn.flagged.test': 0, 'ct.test': 1 };

/** A China Mobile domain of the bundled list at "medium" confidence: flagged at the user's threshold (medium), not at "high". */
const MEDIUM_CONFIDENCE_URL = 'http://www.miguvideo.com/';


type ExtApi = { browser?: WebExtBrowser; chrome?: WebExtBrowser };

const extManaged = async (): Promise<Record<string, unknown>> => {
  const g = globalThis as unknown as ExtApi;
  return (await (g.browser ?? g.chrome)!.storage.managed.get(null)) as Record<string, unknown>;
};

/** What the options page shows of the organisation's settings (runs in the page). */
interface OptionsView {
  banner: { shown: boolean; locked: string | null };
  controls: Record<'warn' | 'block' | 'phone', { checked: boolean; disabled: boolean; managed: string | null } | null>;
  /** Controls that still accept input, by data-testid (or tag name). */
  enabled: string[];
  controlCount: number;
  problems: string[];
  allowedSites: number;
}

const readOptions = (): OptionsView => {
  const control = (testId: string) => {
    const el = document.querySelector<HTMLInputElement>(`[data-testid=${testId}]`);
    return el ? { checked: el.checked, disabled: el.disabled, managed: el.getAttribute('data-managed') } : null;
  };
  const banner = document.querySelector('[data-testid=managed-banner]');
  const controls = [...document.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea, button')];
  return {
    banner: { shown: banner !== null, locked: banner?.getAttribute('data-locked') ?? null },
    controls: { warn: control('protection-mode-warn'), block: control('protection-mode-block'), phone: control('block-phone-login') },
    enabled: controls.filter((el) => !el.disabled).map((el) => el.getAttribute('data-testid') ?? el.outerHTML.slice(0, 80)),
    controlCount: controls.length,
    problems: [...document.querySelectorAll('[data-testid=managed-problems] li')].map((li) => li.textContent ?? ''),
    allowedSites: document.querySelectorAll('[data-testid=allowed-sites] li').length,
  };
};


/** The policy file for `kind`, its folder and the folder above: "dir", the file's text, or null when absent. */
function policyPaths(kind: BrowserKind): Record<string, string | null> {
  const file = kind === 'chromium' ? CHROMIUM_POLICY_FILE : FIREFOX_POLICY_FILE;
  const paths = [file, path.dirname(file), path.dirname(path.dirname(file))];
  return Object.fromEntries(
    paths.map((p) => {
      const stat = fs.statSync(p, { throwIfNoEntry: false });
      return [p, stat === undefined ? null : stat.isDirectory() ? 'dir' : fs.readFileSync(p, 'utf8')];
    }),
  );
}

/** Writes the policy file for `kind`'s build; the extension id is known before launch (Chromium reads policies at launch). */
function installPolicy(kind: BrowserKind, policy: ReturnType<typeof policyFor>): Promise<InstalledPolicy> {
  return kind === 'chromium' ? installChromiumPolicy(unpackedExtensionId(extensionDirFor(kind)), policy) : installFirefoxPolicy(GECKO_ID, policy);
}

for (const kind of BROWSER_KINDS) {
  describe(`managed settings in ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    let policy: InstalledPolicy | undefined;
    /** The policy paths before the install, to compare with after the removal. */
    let before: Record<string, string | null> = {};
    /** An extension page to ask the background from (Chromium's worker cannot message itself). */
    let asker: Page | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;
    const ask = <R>(message: unknown): Promise<R> =>
      (asker as Page).evaluate((m) => {
        const g = globalThis as unknown as ExtApi;
        return (g.browser ?? g.chrome)!.runtime.sendMessage(m);
      }, message) as Promise<R>;

    let POLICY: ReturnType<typeof policyFor>;
    let mirrorHits = 0;

    beforeAll(async () => {
      server = await startServer();
      checkoutSite(server);
      // Signed, but not with the key the build pins: the extension must refuse it.
      const stranger = await generateBundleKeys();
      const bundle = await signedBundle(committedFiles(), stranger.privateKey, `${committedDataDate()}.5`);
      server.route('127.0.0.1', MIRROR_PATH, () => {
        mirrorHits++;
        return { body: bundle, headers: { 'content-type': 'application/octet-stream' } };
      });
      POLICY = policyFor(server.url('127.0.0.1', MIRROR_PATH));
      before = policyPaths(kind);
      policy = await installPolicy(kind, POLICY);
      try {
        b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS });
      } finally {
        // Launch failed: nothing else will run, so the policy goes now (afterAll removes it too).
        if (!b) await policy.remove();
      }
      // The policy names this id: if Chromium gave the build another one, nothing below is managed.
      expect(b.extensionId).toBe(kind === 'chromium' ? unpackedExtensionId(extensionDirFor(kind)) : GECKO_ID);
      await b.waitForBackground();
      await b.setStorage('local', { settings: USER });
      asker = await b.openExtensionPage('manifest.json');
    });

    afterAll(async () => {
      try {
        await b?.close();
      } finally {
        await policy?.remove();
        await server?.close();
      }
    });

    /** Loads the checkout page in a new tab; returns what the server received, once the extension counted the blocked requests. */
    async function loadCheckout(): Promise<Got> {
      srv().clearRequests();
      const p = await br().newPage();
      // settle() returns once every resource of the page has loaded or failed: the log is complete.
      await settle(p, srv().url('shop.test', '/checkout'));
      const got = Object.fromEntries(HOSTS_SEEN.map((h) => [h, srv().requests({ host: h }).length])) as Got;
      expect(srv().requests({ host: 'shop.test', path: '/checkout' }), 'the page itself loads').toHaveLength(1);
      // Not merely failed: the extension counted them as blocked.
      const tabId = await br().tabIdOf(p);
      await storedTab(br(), tabId, 'www.cmpassport.com and cdn.flagged.test blocked', (s) =>
        s.current?.url.endsWith('/checkout') === true && ['www.cmpassport.com', 'cdn.flagged.test'].every((host) => (endpointOf(s, host)?.blocked ?? 0) >= 1),
      );
      await p.close();
      return got;
    }

    it('the extension reads the policy from storage.managed, the invalid value included', async () => {
      // Chromium hands an extension loaded after start its policy a few seconds later (seen: ~3 s).
      const managed = await pollUntil('storage.managed to hold the policy', () => br().evalInExtension(extManaged), (m) => Object.keys(m).length > 0, { timeoutMs: 15_000 });
      expect(managed).toEqual(POLICY);
    });

    it('the policy blocks although the user stored Warn and allowed the site', async () => {
      const status = await pollUntil(
        'the background to apply the policy (Block, the phone-login switch, locked)',
        async () => (await ask<TabReply>({ type: 'get-tab', tabId: -1 })).protection,
        (p) => p?.mode === 'block' && p.blockPhoneLogin && p.locked,
        { timeoutMs: 15_000 },
      );
      expect(status).toMatchObject({ mode: 'block', blockPhoneLogin: true, locked: true });
      if (kind === 'chromium') {
        // Chrome applies rules asynchronously after the change; Firefox decides per request.
        const dnr = await pollUntil('the blocking rules to follow the policy', () => br().evalInExtension(extDnrState), (s) => s.rulesets.includes('phone-login-china-mobile-high') && s.blockedDomains.includes('flagged.test'));
        expect(dnr.rulesets.filter((id) => id.includes('china-telecom'))).toEqual([]);
        // lockSettings drops the user's "Allow on this site": no exception rule.
        expect(dnr.actions.filter((a) => a !== 'block' && a !== 'redirect')).toEqual([]);
      }
      expect(await loadCheckout()).toEqual(BLOCKED_BY_POLICY);
    });

    it('the options page shows the managed, locked settings and names the rejected value', async () => {
      const p = await br().openExtensionPage('src/options/index.html');
      const view = await pollUntil('the options page to show the managed banner and the policy problems', () => p.evaluate(readOptions), (v) => v.banner.shown && v.problems.length > 0 && v.controls.block !== null, { timeoutMs: 15_000 });
      expect(view.banner.locked).toBe('true');
      expect(view.controls.block).toEqual({ checked: true, disabled: true, managed: 'true' });
      expect(view.controls.warn).toEqual({ checked: false, disabled: true, managed: 'true' });
      expect(view.controls.phone).toEqual({ checked: true, disabled: true, managed: 'true' });
      // Locked: nothing that changes a setting accepts input (exporting the settings and checking
      // for network data, which the policy turned on, change nothing).
      expect(view.controlCount).toBeGreaterThan(15);
      expect(view.enabled.filter((id) => id !== 'export-settings' && id !== 'data-check-now')).toEqual([]);
      // The user's "Allow on this site" is not in force under lockSettings.
      expect(view.allowedSites).toBe(0);
      const problem = view.problems.find((text) => text.includes('minConfidence'));
      expect(problem, `problems listed: ${JSON.stringify(view.problems)}`).toBeDefined();
      expect(problem).toContain('extreme');
      await p.close();
    });

    it('the user writing Warn into storage.local changes nothing: still blocked', async () => {
      // The user's threshold stays in force (the policy's was rejected): at medium a medium-confidence domain is flagged.
      expect(await ask<BlockExplanation>({ type: 'explain-block', url: MEDIUM_CONFIDENCE_URL })).toMatchObject({ flagged: true, operatorId: 'china-mobile' });
      // minConfidence "high" rides along so the test can see when the background has this write.
      await br().setStorage('local', { settings: { ...USER, minConfidence: 'high', protection: { ...USER.protection, mode: 'warn' } } satisfies Settings });
      await pollUntil('the background to apply the user\'s write (the medium-confidence domain no longer flagged)', () => ask<BlockExplanation>({ type: 'explain-block', url: MEDIUM_CONFIDENCE_URL }), (e) => !e.flagged);
      if (kind === 'chromium') {
        await pollUntil('the rules to follow the write (no medium-confidence ruleset)', () => br().evalInExtension(extDnrState), (s) => !s.rulesets.includes('china-mobile-medium'));
      }
      expect((await ask<TabReply>({ type: 'get-tab', tabId: -1 })).protection).toMatchObject({ mode: 'block', blockPhoneLogin: true, locked: true });
      expect(await loadCheckout()).toEqual(BLOCKED_BY_POLICY);
    });

    it('the policy\'s dataUpdates makes the check the user never turned on; a bundle not signed with the pinned key is refused', async () => {
      // Counted by the route itself: the other tests clear the server's log.
      await pollUntil('the update check from the policy\'s mirror', () => mirrorHits, (n) => n > 0, { timeoutMs: 20_000 });
      const status = await pollUntil('the check to be recorded', () => ask<DataStatus>({ type: 'get-data-status' }), (s) => s.lastCheck !== null && !s.checking);
      expect(status.updates).toMatchObject({ enabled: true, url: POLICY.dataUpdateUrl, enabledManaged: true, urlManaged: true });
      expect(status.lastCheck).toMatchObject({ outcome: 'rejected', message: expect.stringMatching(/bad signature/) });
      expect(status.inUse).toMatchObject({ source: 'bundled', version: `${committedDataDate()}.0` });
      const p = await br().openExtensionPage('src/options/index.html');
      const shown = await pollUntil(
        'the options page to show the organisation\'s updates and the rejection',
        () => p.evaluate(() => ({
          checked: (document.querySelector('[data-testid="data-updates"]') as HTMLInputElement | null)?.checked ?? null,
          disabled: (document.querySelector('[data-testid="data-updates"]') as HTMLInputElement | null)?.disabled ?? null,
          url: document.querySelector('[data-testid="data-update-url"]')?.textContent ?? '',
          error: document.querySelector('[data-testid="data-update-error"]')?.textContent ?? null,
        })),
        (v) => v.error !== null,
      );
      expect(shown).toMatchObject({ checked: true, disabled: true });
      expect(shown.url).toContain(POLICY.dataUpdateUrl);
      expect(shown.error).toMatch(/bad signature/);
      await p.close();
    });

    it('closing the browser and removing the policy leaves the policy paths as they were', async () => {
      const file = (policy as InstalledPolicy).file;
      expect(fs.existsSync(file)).toBe(true);
      await br().close();
      await (policy as InstalledPolicy).remove();
      expect(fs.existsSync(file)).toBe(before[file] !== null);
      // A policies.json that was there is back, byte for byte; folders the install made are gone.
      expect(policyPaths(kind)).toEqual(before);
    });
  });
}
