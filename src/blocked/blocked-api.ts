import browser from 'webextension-polyfill';
import type { BlockExplanation, ContinueOnceReply } from '../background/messages.ts';

// Everything the blocked page needs from the browser and the background,
// behind one interface (like src/ui/popup-api.ts): browserBlockedApi() here,
// plain objects in the unit tests.

export interface BlockedApi {
  /** Why the background blocked `url` (or that it no longer does). */
  explain(url: string): Promise<BlockExplanation>;
  /** Asks the background to let this tab load `url` this once. */
  continueOnce(url: string): Promise<ContinueOnceReply>;
  /** The tab has a page to go back to. */
  hasHistory(): boolean;
  back(): void;
  /** Nothing to go back to (the page opened in a new tab): close the tab. */
  closeTab(): Promise<void>;
  /** Replaces this page with `url`, so Back does not return to the notice. */
  replace(url: string): void;
  /** Another page embeds this one (it is web-accessible): no buttons then. */
  framed(): boolean;
}

export function browserBlockedApi(): BlockedApi {
  return {
    explain: (url) => browser.runtime.sendMessage({ type: 'explain-block', url }) as Promise<BlockExplanation>,
    continueOnce: (url) => browser.runtime.sendMessage({ type: 'continue-once', url }) as Promise<ContinueOnceReply>,
    hasHistory: () => history.length > 1,
    back: () => history.back(),
    async closeTab() {
      // An extension page in a tab may remove its own tab (no permission needed);
      // window.close() would not do for a tab the user opened.
      try {
        const tab = await browser.tabs.getCurrent();
        if (tab?.id !== undefined) return await browser.tabs.remove(tab.id);
      } catch {
        // fall through: leave the flagged page behind all the same
      }
      location.replace('about:blank');
    },
    replace: (url) => location.replace(url),
    framed: () => window.top !== window.self,
  };
}
