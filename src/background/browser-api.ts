import browser from 'webextension-polyfill';
import type { BadgeSink } from './badge.ts';
import type { SessionArea } from './session-mirror.ts';
import type { LocalArea } from './site-log-store.ts';
import { iconStateFor, toolbarIconPaths, type IconState } from './toolbar-icon.ts';

// The one place the background touches `browser.*` for storage and the
// toolbar; the state logic takes these small interfaces, so Node tests run it
// unchanged.

export { browser };

export const sessionArea: SessionArea = {
  set: (items) => browser.storage.session.set(items),
  remove: (keys) => browser.storage.session.remove(keys),
};

export const localArea: LocalArea = {
  get: (keys) => browser.storage.local.get(keys),
  set: (items) => browser.storage.local.set(items),
  remove: (keys) => browser.storage.local.remove(keys),
};

/**
 * setIcon with a path makes a Chrome service worker fetch and decode the
 * PNGs on every call (the badge lag went from ~280 to ~340 ms when it ran
 * with every badge write), so a tab's icon is set only when its state
 * changes, and always in the second after a navigation, when the browser
 * may reset it on its own.
 */
const iconShown = new Map<number, { state: IconState; forcedUntil: number }>();
const ICON_RESET_WINDOW_MS = 1000;

export const toolbarBadge: BadgeSink = {
  async show(tabId, badge) {
    const state = iconStateFor(badge);
    const shown = iconShown.get(tabId);
    const now = Date.now();
    const setIcon = typeof browser.action.setIcon === 'function' && (shown === undefined || shown.state !== state || now < shown.forcedUntil);
    iconShown.set(tabId, { state, forcedUntil: shown?.forcedUntil ?? 0 });
    await Promise.all([
      browser.action.setBadgeBackgroundColor({ tabId, color: badge.color }),
      browser.action.setBadgeText({ tabId, text: badge.text }),
      browser.action.setTitle({ tabId, title: badge.title }),
      // The flagged icon as well as the count; skipped, not thrown, where a browser lacks setIcon.
      setIcon ? browser.action.setIcon({ tabId, path: toolbarIconPaths(state) }) : undefined,
    ]);
  },
  forget(tabId) {
    iconShown.delete(tabId);
    iconShown.set(tabId, { state: 'normal', forcedUntil: Date.now() + ICON_RESET_WINDOW_MS });
    // Closed tabs leave an entry too: keep the most recent few hundred.
    if (iconShown.size > 500) iconShown.delete(iconShown.keys().next().value!);
  },
};
