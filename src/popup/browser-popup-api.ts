import browser from 'webextension-polyfill';
import type { TabReply } from '../background/messages.ts';
import type { SiteLog } from '../background/site-log.ts';
import { asDataStatus } from '../ui/data-status.ts';
import { copyText, saveFile } from '../ui/download.ts';
import type { PopupApi } from '../ui/popup-api.ts';

// PopupApi over browser.*: the one file of the popup that touches the
// extension API (besides i18n, which reads it directly).

/** ?tab=<id> shows that tab (the "open in a tab" view, and tests); otherwise the active one. */
export function tabIdFromQuery(search: string): number | null {
  const value = new URLSearchParams(search).get('tab');
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

export function browserPopupApi(): PopupApi {
  return {
    async tabToShow() {
      const fromQuery = tabIdFromQuery(location.search);
      if (fromQuery !== null) return fromQuery;
      const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
      return tab?.id ?? null;
    },
    async tabUrl(tabId) {
      try {
        const tab = await browser.tabs.get(tabId);
        // Hidden for browser pages (chrome://, about:): the host permission covers the web only.
        return tab.url ?? '';
      } catch {
        return null; // closed
      }
    },
    getTab: (tabId) => browser.runtime.sendMessage({ type: 'get-tab', tabId }) as Promise<TabReply>,
    getSiteLog: (site) => browser.runtime.sendMessage({ type: 'get-site-log', site }) as Promise<SiteLog>,
    getDataStatus: async () => asDataStatus(await browser.runtime.sendMessage({ type: 'get-data-status' })),
    async clearSiteLog(site) {
      await browser.runtime.sendMessage({ type: 'clear-site-log', site });
    },
    settings: {
      get: (key) => browser.storage.local.get(key),
      set: (items) => browser.storage.local.set(items),
    },
    openOptions: () => browser.runtime.openOptionsPage(),
    async openInTab(tabId) {
      await browser.tabs.create({ url: `${location.pathname}?tab=${tabId}&wide=1` });
      window.close();
    },
    copyText,
    saveFile,
    version: browser.runtime.getManifest().version,
    now: Date.now,
  };
}
