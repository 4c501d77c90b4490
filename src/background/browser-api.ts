import browser from 'webextension-polyfill';
import type { BadgeSink } from './badge.ts';
import { BADGE_COLOR } from './badge.ts';
import type { SessionArea } from './session-mirror.ts';
import type { LocalArea } from './site-log-store.ts';
import { iconStateFor, toolbarIconPaths } from './toolbar-icon.ts';

// The one place the background touches `browser.*` for storage and the
// toolbar; the state logic takes these small interfaces, so Node tests run it
// unchanged.

export { browser };

export const sessionArea: SessionArea = {
  get: (keys) => browser.storage.session.get(keys),
  set: (items) => browser.storage.session.set(items),
  remove: (keys) => browser.storage.session.remove(keys),
};

export const localArea: LocalArea = {
  get: (keys) => browser.storage.local.get(keys),
  set: (items) => browser.storage.local.set(items),
  remove: (keys) => browser.storage.local.remove(keys),
};

export const toolbarBadge: BadgeSink = {
  async show(tabId, badge) {
    await Promise.all([
      browser.action.setBadgeBackgroundColor({ tabId, color: BADGE_COLOR }),
      browser.action.setBadgeText({ tabId, text: badge.text }),
      browser.action.setTitle({ tabId, title: badge.title }),
      // The flagged icon as well as the count; skipped, not thrown, where a browser lacks setIcon.
      typeof browser.action.setIcon === 'function' ? browser.action.setIcon({ tabId, path: toolbarIconPaths(iconStateFor(badge)) }) : undefined,
    ]);
  },
};
