/**
 * The popup in real Chromium and Firefox against the built extension: after a test page
 * contacts "flagged" endpoints (loopback hosts flagged through the user's own settings, plus
 * passport.cmpassport.com, a phone-number login gateway of the bundled list, served locally),
 * popup.html?tab=<id> lists them by operator with the right wording, exports them, updates
 * live, and "don't warn here" clears the badge. Screenshots (light and dark) go to
 * test-results/; the first render of 1,000 endpoints is measured in the browser.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/engine/settings.ts';
import { LOOPBACK_FLAGGED_SETTINGS as SETTINGS } from './lib/flagged-settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import { image, page, PAGE_DONE_FLAG, script, startServer, text, type TestServer } from './lib/server.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-results');

const HOSTS: HostMap = {
  'news.site-a.test': '127.0.0.1',
  'site-b.test': '127.0.0.1',
  'slow.site-c.test': '127.0.0.1',
  'cdn.flagged.test': '127.0.0.1',
  'passport.cmpassport.com': '127.0.0.1',
  'pixels.other.test': '127.0.0.2',
};


interface PopupRow {
  host: string;
  text: string;
}
interface PopupSnapshot {
  state: string;
  site: string;
  count: string;
  verdict: string;
  groups: Array<{ operator: string; name: string; rows: PopupRow[] }>;
  phoneBanner: string;
  earlierVisits: number;
}

// Runs in the popup page.
const readPopup = (): PopupSnapshot => {
  const q = (s: string) => document.querySelector(s)?.textContent ?? '';
  return {
    state: document.querySelector('.popup')?.getAttribute('data-state') ?? '',
    site: q('.site'),
    count: q('[data-testid=endpoint-count]'),
    verdict: q('[data-testid=verdict]'),
    groups: [...document.querySelectorAll('section.operator')].map((s) => ({
      operator: s.getAttribute('data-operator') ?? '',
      name: s.querySelector('.operator-name')?.textContent ?? '',
      rows: [...s.querySelectorAll('li.endpoint')].map((li) => ({ host: li.getAttribute('data-host') ?? '', text: li.textContent ?? '' })),
    })),
    phoneBanner: q('[data-testid=phone-login-banner]'),
    earlierVisits: document.querySelectorAll('.visit').length,
  };
};

// Runs in the popup page: keep every blob the page turns into a download.
const captureDownloads = (): void => {
  const w = window as unknown as { __cwBlobs: Blob[] };
  w.__cwBlobs = [];
  const original = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob | MediaSource) => {
    if (obj instanceof Blob) w.__cwBlobs.push(obj);
    return original(obj);
  };
};

const readDownloads = (): Promise<Array<{ type: string; text: string }>> =>
  Promise.all((window as unknown as { __cwBlobs: Blob[] }).__cwBlobs.map(async (b) => ({ type: b.type, text: await b.text() })));

const clickTestId = (id: string): void => (document.querySelector(`[data-testid="${id}"]`) as HTMLElement).click();

function parseCsv(textValue: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < textValue.length; i++) {
    const c = textValue[i]!;
    if (quoted) {
      if (c === '"' && textValue[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && textValue[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

for (const kind of BROWSER_KINDS) {
  describe(`popup: ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    let releaseSlow: (() => void) | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;

    async function load(p: Page, url: string): Promise<number> {
      await p.goto(url, { waitUntil: 'load' });
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 15_000 });
      return br().tabIdOf(p);
    }

    async function openPopup(tabId: number, expectEndpoints: number): Promise<Page> {
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      await pollUntil(
        `the popup for tab ${tabId} to list ${expectEndpoints} endpoints`,
        () => popup.evaluate(readPopup),
        (s) => s.state === 'page' && s.groups.flatMap((g) => g.rows).length === expectEndpoints,
        { timeoutMs: 15_000 },
      );
      return popup;
    }

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      server = await startServer();
      const s = server;
      const flaggedPage = page({
        title: 'A news site',
        scripts: [s.url('cdn.flagged.test', '/lib.js'), s.url('passport.cmpassport.com', '/h5/js/jssdk.js')],
        images: [s.url('pixels.other.test', '/p.gif')],
      });
      s.site('news.site-a.test', { '/': flaggedPage, '/again': flaggedPage });
      s.site('site-b.test', { '/': page({ scripts: [s.url('cdn.flagged.test', '/lib.js')] }) });
      s.site('slow.site-c.test', {
        '/': page({ scripts: [s.url('cdn.flagged.test', '/lib.js')], fetches: [s.url('pixels.other.test', '/slow')] }),
      });
      s.site('cdn.flagged.test', { '/lib.js': script() });
      s.site('passport.cmpassport.com', { '/h5/js/jssdk.js': script() });
      s.site('pixels.other.test', {
        '/p.gif': image(),
        // Held until the test releases it: the page is still loading while the popup is open.
        '/slow': () => new Promise((resolve) => (releaseSlow = () => resolve(text('late')))),
      });
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS });
      await b.waitForBackground();
      await b.setStorage('local', { settings: SETTINGS });
    });

    afterAll(async () => {
      releaseSlow?.();
      await b?.close();
      await server?.close();
    });

    it('lists the endpoints grouped by operator, with the right wording and the earlier visit', async () => {
      const p = await br().newPage();
      await load(p, srv().url('news.site-a.test', '/'));
      const tabId = await load(p, srv().url('news.site-a.test', '/again')); // the first visit is now an earlier one
      await pollUntil(`badge "3" on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '3');
      const popup = await openPopup(tabId, 3);
      const shot = await pollUntil('the earlier visit in the site log', () => popup.evaluate(readPopup), (s) => s.earlierVisits === 1);

      expect(shot.site).toBe('site-a.test');
      expect(shot.count).toBe('3');
      expect(shot.verdict).toBe('This page contacted 3 endpoints on China Mobile and China Telecom networks');
      expect(shot.groups.map((g) => [g.operator, g.name, g.rows.map((r) => r.host).sort()])).toEqual([
        ['china-mobile', 'China Mobile', ['cdn.flagged.test', 'passport.cmpassport.com']],
        ['china-telecom', 'China Telecom', ['pixels.other.test']],
      ]);
      const row = (host: string) => shot.groups.flatMap((g) => g.rows).find((r) => r.host === host)!.text;
      expect(row('cdn.flagged.test')).toContain('Domain flagged.test is listed for China Mobile.');
      expect(row('cdn.flagged.test')).toContain('IP: 127.0.0.1');
      expect(row('cdn.flagged.test')).toContain('third-party');
      expect(row('passport.cmpassport.com')).toContain('Domain cmpassport.com is listed for China Mobile.');
      expect(row('passport.cmpassport.com')).toContain('phone-number login');
      expect(row('pixels.other.test')).toContain('Its IP is in a range you added for China Telecom.');
      expect(row('pixels.other.test')).toContain('IP: 127.0.0.2');
      expect(shot.phoneBanner).toContain('tying this visit to your phone number');

      // Screenshots for the README and the test artifacts: the popup at its own width.
      await popup.setViewport({ width: 460, height: 760 });
      await popup.evaluate(() => document.querySelectorAll('details.why')[0]?.setAttribute('open', ''));
      await popup.screenshot({ path: path.join(ARTIFACTS, `popup-${kind}-light.png`), fullPage: true });
      if (kind === 'chromium') {
        // WebDriver BiDi (Firefox) cannot emulate prefers-color-scheme; Chromium shows the dark theme.
        await popup.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
        await popup.screenshot({ path: path.join(ARTIFACTS, `popup-${kind}-dark.png`), fullPage: true });
        await popup.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
      }
      await Promise.all([popup.close(), p.close()]);
    });

    it('exports the page and the site log as valid JSON and CSV with those rows', async () => {
      const p = await br().newPage();
      const tabId = await load(p, srv().url('news.site-a.test', '/'));
      const popup = await openPopup(tabId, 3);
      await popup.evaluate(captureDownloads);
      for (const id of ['export-page-json', 'export-page-csv', 'export-log-json', 'export-log-csv']) await popup.evaluate(clickTestId, id);
      const files = await pollUntil('four exported files', () => popup.evaluate(readDownloads), (f) => f.length === 4);

      expect(files.map((f) => f.type.split(';')[0])).toEqual(['application/json', 'text/csv', 'application/json', 'text/csv']);
      const json = JSON.parse(files[0]!.text) as { kind: string; page: { url: string }; endpoints: Array<{ host: string; operatorId: string; tags: string[] }> };
      expect(json.kind).toBe('page');
      expect(json.page.url).toBe(srv().url('news.site-a.test', '/'));
      expect(json.endpoints.map((e) => `${e.host} ${e.operatorId}`).sort()).toEqual([
        'cdn.flagged.test china-mobile',
        'passport.cmpassport.com china-mobile',
        'pixels.other.test china-telecom',
      ]);
      expect(json.endpoints.find((e) => e.host === 'passport.cmpassport.com')!.tags).toContain('phone-login');

      const csv = parseCsv(files[1]!.text);
      const header = csv[0]!;
      expect(header.slice(0, 4)).toEqual(['pageUrl', 'host', 'operatorId', 'operator']);
      expect(csv.slice(1).map((r) => r[header.indexOf('host')]).sort()).toEqual(['cdn.flagged.test', 'passport.cmpassport.com', 'pixels.other.test']);
      expect(csv.slice(1).every((r) => r.length === header.length)).toBe(true);

      const log = JSON.parse(files[2]!.text) as { kind: string; site: string; visits: Array<{ endpoints: unknown[] }> };
      expect(log).toMatchObject({ kind: 'site-log', site: 'site-a.test' });
      expect(log.visits.length).toBeGreaterThanOrEqual(1);
      const logCsv = parseCsv(files[3]!.text);
      expect(logCsv[0]!.slice(0, 3)).toEqual(['visitStartedAt', 'visitUrl', 'host']);
      expect(logCsv.length - 1).toBe(log.visits.reduce((n, v) => n + v.endpoints.length, 0));
      await Promise.all([popup.close(), p.close()]);
    });

    it('updates live while the page is still loading', async () => {
      const p = await br().newPage();
      await p.goto(srv().url('slow.site-c.test', '/'), { waitUntil: 'load' });
      await srv().waitForRequest('the held /slow fetch', (r) => r.path === '/slow');
      const tabId = await br().tabIdOf(p);
      const popup = await openPopup(tabId, 1);
      releaseSlow!();
      const shot = await pollUntil('the late endpoint in the open popup', () => popup.evaluate(readPopup), (s) => s.groups.length === 2);
      expect(shot.groups.map((g) => g.rows.map((r) => r.host))).toEqual([['cdn.flagged.test'], ['pixels.other.test']]);
      await Promise.all([popup.close(), p.close()]);
    });

    it("allowlisting the site from the popup clears the site's badge, and undoing it brings it back", async () => {
      const p = await br().newPage();
      const tabId = await load(p, srv().url('site-b.test', '/'));
      await pollUntil(`badge "1" on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '1');
      const popup = await openPopup(tabId, 1);
      await popup.evaluate(clickTestId, 'allowlist-toggle');
      await pollUntil(`an empty badge on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '');
      const stored = (await br().storage('local'))['settings'] as Settings;
      expect(stored.user.allowlist).toEqual(['site-b.test']);
      expect(stored.user.domains).toEqual(SETTINGS.user.domains); // the rest is kept
      const note = await pollUntil('the allowlisted note', () => popup.evaluate(() => document.querySelector('[data-testid=note-allowlisted]')?.textContent ?? ''), (x) => x !== '');
      expect(note).toContain('Warnings are off for site-b.test');

      await popup.evaluate(clickTestId, 'allowlist-toggle');
      await pollUntil(`badge "1" again on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '1');
      expect(((await br().storage('local'))['settings'] as Settings).user.allowlist).toEqual([]);
      await Promise.all([popup.close(), p.close()]);
    });

    it("says so for a page that is not on the web (here: the extension's own options page)", async () => {
      const other = await br().openExtensionPage('src/options/index.html');
      const tabId = await br().tabIdOf(other);
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      const shot = await pollUntil('the non-web state', () => popup.evaluate(readPopup), (s) => s.state === 'non-web');
      expect(shot.verdict).toContain('web pages (http and https) only');
      await Promise.all([popup.close(), other.close()]);
    });

    it('renders 1,000 endpoints and reports how long the first render took', async () => {
      const figures: Array<{ renderMs: number; rows: number; firstRenderMs: number; allRowsMs: number }> = [];
      for (let run = 0; run < 5; run++) {
        const popup = await br().openExtensionPage('src/popup/index.html?bench=1000');
        const d = await pollUntil(
          'the bench render timings',
          () => popup.evaluate(() => ({ data: Object.fromEntries(Object.entries(document.documentElement.dataset)) as Record<string, string>, rows: document.querySelectorAll('li.endpoint').length })),
          (x) => x.data['allRowsMs'] !== undefined,
          { timeoutMs: 20_000 },
        );
        expect(d.data['renderedEndpoints']).toBe('1000');
        expect(d.rows).toBe(1000); // every row ends up in the DOM
        figures.push({ renderMs: Number(d.data['renderMs']), rows: Number(d.data['firstRenderRows']), firstRenderMs: Number(d.data['firstRenderMs']), allRowsMs: Number(d.data['allRowsMs']) });
        await popup.close();
      }
      // Figures, not assertions: the machine is shared and timing varies. The first run is a cold start.
      const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)]!;
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
      const line =
        `[popup-render] ${kind}: 1,000 endpoints; first render (${figures[0]!.rows} rows, the data arriving to laid out) ` +
        `median ${median(figures.map((f) => f.renderMs)).toFixed(1)} ms [${fmt(figures.map((f) => f.renderMs))}]; ` +
        `first data on screen ${median(figures.map((f) => f.firstRenderMs)).toFixed(1)} ms after navigation start; ` +
        `all 1,000 rows in the DOM ${median(figures.map((f) => f.allRowsMs)).toFixed(1)} ms after the data [${fmt(figures.map((f) => f.allRowsMs))}]`;
      console.log(line);
      writeFileSync(path.join(ARTIFACTS, `popup-render-${kind}.txt`), line + '\n');
    });
  });
}
