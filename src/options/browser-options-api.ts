import browser from 'webextension-polyfill';
import { asDataStatus } from '../ui/data-status.ts';
import { saveFile } from '../ui/download.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { SETTINGS_KEY } from '../ui/settings-store.ts';

// OptionsApi over browser.*: the one file of the options page that touches
// the extension API (besides i18n).

const NOTIFICATIONS = { permissions: ['notifications'] } as const;

export function browserOptionsApi(): OptionsApi {
  return {
    settings: {
      get: (key) => browser.storage.local.get(key),
      set: (items) => browser.storage.local.set(items),
    },
    onSettingsChanged(listener) {
      const onChanged = (changes: Record<string, unknown>, area: string) => {
        if (area === 'local' && SETTINGS_KEY in changes) listener();
      };
      browser.storage.onChanged.addListener(onChanged);
      return () => browser.storage.onChanged.removeListener(onChanged);
    },
    async managed() {
      try {
        return await browser.storage.managed.get();
      } catch {
        // Firefox rejects when no policy names the extension; Chrome without a schema too.
        return {};
      }
    },
    onManagedChanged(listener) {
      const onChanged = (_changes: Record<string, unknown>, area: string) => {
        if (area === 'managed') listener();
      };
      browser.storage.onChanged.addListener(onChanged);
      return () => browser.storage.onChanged.removeListener(onChanged);
    },
    async clearAllData() {
      await browser.runtime.sendMessage({ type: 'clear-site-log' });
    },
    requestNotifications: () => browser.permissions.request({ permissions: ['notifications'] }),
    async releaseNotifications() {
      if (await browser.permissions.contains({ permissions: [...NOTIFICATIONS.permissions] })) {
        await browser.permissions.remove({ permissions: [...NOTIFICATIONS.permissions] });
      }
    },
    getDataStatus: async () => asDataStatus(await browser.runtime.sendMessage({ type: 'get-data-status' })),
    checkDataNow: async () => asDataStatus(await browser.runtime.sendMessage({ type: 'check-data-now' })),
    saveFile,
    version: browser.runtime.getManifest().version,
    now: Date.now,
  };
}
