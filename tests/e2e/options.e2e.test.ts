/**
 * The options page in real Chromium and Firefox against the built extension: a bad CIDR is
 * refused with a message naming it and the stored settings stay as they were; a custom domain
 * added and saved there is flagged on the next page load (badge and popup). Screenshots of the
 * page go to test-results/.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../../src/engine/settings.ts';
import { BROWSER_KINDS, extensionDirFor, launch, type E2EBrowser, type HostMap } from './lib/browsers.ts';
import { pollUntil } from './lib/poll.ts';
import { page, PAGE_DONE_FLAG, script, startServer, type TestServer } from './lib/server.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-results');

const HOSTS: HostMap = {
  'shop.site-d.test': '127.0.0.1',
  'cdn.custom-cdn.test': '127.0.0.1',
};

const BEFORE: Settings = {
  ...DEFAULT_SETTINGS,
  minConfidence: 'high',
  user: {
    asns: [],
    cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-unicom', note: 'kept' }],
    domains: [],
    allowlist: ['example.org'],
  },
};

// Runs in the options page: clicks the button whose text is `label`.
const clickButton = (label: string): void => {
  const button = [...document.querySelectorAll('button')].find((b) => b.textContent === label);
  if (!button) throw new Error(`no button "${label}"`);
  button.click();
};

// Runs in the options page: the last row of a list, its field id, and every error shown.
const lastRow = (list: string) => {
  const inputs = document.querySelectorAll<HTMLInputElement>(`[data-list="${list}"] input.entry-value`);
  const input = inputs[inputs.length - 1];
  return { id: input?.id ?? '', count: inputs.length };
};
const errors = (): string[] => [...document.querySelectorAll('[data-testid=field-error]')].map((e) => e.textContent ?? '');
const formStatus = (): string => document.querySelector('[data-testid=form-status]')?.textContent ?? '';

for (const kind of BROWSER_KINDS) {
  describe(`options: ${kind}`, () => {
    let server: TestServer | undefined;
    let b: E2EBrowser | undefined;
    let options: Page | undefined;
    const srv = (): TestServer => server as TestServer;
    const br = (): E2EBrowser => b as E2EBrowser;
    const opt = (): Page => options as Page;

    async function addEntry(list: string, addLabel: string, value: string): Promise<string> {
      const before = await opt().evaluate(lastRow, list);
      await opt().evaluate(clickButton, addLabel);
      const row = await pollUntil(`a new row in ${list}`, () => opt().evaluate(lastRow, list), (r) => r.count === before.count + 1);
      await opt().type(`#${row.id}`, value); // typed key by key, as a person would
      return row.id;
    }

    async function loadPage(p: Page): Promise<number> {
      await p.goto(srv().url('shop.site-d.test', '/'), { waitUntil: 'load' });
      await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 15_000 });
      return br().tabIdOf(p);
    }

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      server = await startServer();
      server.site('shop.site-d.test', { '/': page({ title: 'A shop', scripts: [server.url('cdn.custom-cdn.test', '/widget.js')] }) });
      server.site('cdn.custom-cdn.test', { '/widget.js': script() });
      b = await launch(kind, { extensionDir: extensionDirFor(kind), hosts: HOSTS });
      await b.waitForBackground();
      await b.setStorage('local', { settings: BEFORE });
      options = await b.openExtensionPage('src/options/index.html');
      await pollUntil('the options page to show the settings', () => opt().evaluate(() => document.querySelector('[data-ready]') !== null), (ready) => ready);
    });

    afterAll(async () => {
      await b?.close();
      await server?.close();
    });

    it('rejects a bad CIDR with a message naming it, and keeps the old settings', async () => {
      const id = await addEntry('cidrs', 'Add an address range', '10.0.0.1/8');
      const shown = await pollUntil('the CIDR error', () => opt().evaluate(errors), (e) => e.length > 0);
      expect(shown).toEqual(['"10.0.0.1/8" is not a valid CIDR range: the address has bits set past the prefix. Did you mean 10.0.0.0/8?']);
      expect(await opt().evaluate((fieldId: string) => document.getElementById(fieldId)?.getAttribute('aria-invalid'), id)).toBe('true');

      await opt().evaluate(clickButton, 'Save');
      const status = await pollUntil('the refusal', () => opt().evaluate(formStatus), (s) => s !== '');
      expect(status).toContain('Not saved: 1 entries need fixing. Your previous settings are unchanged.');
      expect(status).toContain('"10.0.0.1/8"');
      expect((await br().storage('local'))['settings']).toEqual(BEFORE);
      await opt().setViewport({ width: 900, height: 1200 });
      // A full-page capture cannot show a sticky bar where it sits on screen: pin it in the flow.
      await opt().evaluate(() => document.querySelector<HTMLElement>('.save-bar')?.style.setProperty('position', 'static'));
      await opt().screenshot({ path: path.join(ARTIFACTS, `options-${kind}-invalid.png`), fullPage: true });

      await opt().evaluate(() => document.querySelector<HTMLElement>('.save-bar')?.style.removeProperty('position'));
      // Take the bad row out again; the form now matches what is stored.
      await opt().evaluate((fieldId: string) => (document.getElementById(fieldId)?.closest('li')?.querySelector('button') as HTMLButtonElement).click(), id);
      await pollUntil('no errors', () => opt().evaluate(errors), (e) => e.length === 0);
    });

    it('flags a custom domain added in the options on the next page load', async () => {
      const p = await br().newPage();
      const tabId = await loadPage(p);
      expect((await br().badge(tabId)).text).toBe(''); // not flagged yet

      const id = await addEntry('domains', 'Add a domain', 'custom-cdn.test');
      await opt().select(`#${id}-operator`, 'china-unicom');
      await opt().evaluate(clickButton, 'Save');
      await pollUntil('"Saved."', () => opt().evaluate(formStatus), (s) => s === 'Saved.');
      const stored = (await br().storage('local'))['settings'] as Settings;
      expect(stored.user.domains).toEqual([{ domain: 'custom-cdn.test', operatorId: 'china-unicom' }]);
      expect(stored.user.cidrs).toEqual(BEFORE.user.cidrs); // the rest is as it was
      expect(stored.minConfidence).toBe('high');

      await loadPage(p);
      await pollUntil(`badge "1" on tab ${tabId}`, () => br().badge(tabId), (x) => x.text === '1');
      const popup = await br().openExtensionPage(`src/popup/index.html?tab=${tabId}`);
      const groups = await pollUntil(
        'the popup to list the custom domain',
        () => popup.evaluate(() => [...document.querySelectorAll('section.operator')].map((s) => `${s.getAttribute('data-operator')}: ${[...s.querySelectorAll('li.endpoint')].map((li) => li.getAttribute('data-host')).join(' ')}`)),
        (g) => g.length > 0,
      );
      expect(groups).toEqual(['china-unicom: cdn.custom-cdn.test']);
      expect(await popup.evaluate(() => document.querySelector('li.endpoint .match')?.textContent)).toBe('Domain custom-cdn.test is listed for China Unicom.');
      await Promise.all([popup.close(), p.close()]);
    });
  });
}
