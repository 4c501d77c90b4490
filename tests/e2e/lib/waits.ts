/**
 * The waits most e2e tests share: a page loaded and done, a tab's badge, a tab's state as the
 * background mirrored it to storage.session. Each polls (never sleeps) and names what it waited for.
 */
import type { Page } from 'puppeteer-core';
import type { Badge, E2EBrowser } from './browsers.ts';
import type { Endpoint } from '../../../src/background/page-view.ts';
import type { TabState } from '../../../src/background/tab-tracker.ts';
import { pollUntil } from './poll.ts';
import { PAGE_DONE_FLAG } from './server.ts';

/** Navigates and waits for a page built with server.ts `page()` to say it is done. */
export async function settle(p: Page, url: string): Promise<void> {
  await p.goto(url, { waitUntil: 'load' });
  await p.waitForFunction(`window.${PAGE_DONE_FLAG} === true`, { timeout: 30_000 });
}

/** The tab's badge once its text is `text`. */
export function badgeIs(b: E2EBrowser, tabId: number, text: string): Promise<Badge> {
  return pollUntil(`badge "${text}" on tab ${tabId}`, () => b.badge(tabId), (badge) => badge.text === text);
}

/** A tab's state as the background mirrored it to storage.session, once `accept` holds. */
export function storedTab(b: E2EBrowser, tabId: number, what: string, accept: (state: TabState) => boolean): Promise<TabState> {
  return pollUntil(
    `stored state of tab ${tabId}: ${what}`,
    async () => (await b.storage('session'))[`tab:${tabId}`] as TabState | undefined,
    (state): state is TabState => state !== undefined && accept(state),
  ) as Promise<TabState>;
}

/** The current page view's endpoint for a host. */
export const endpointOf = (state: TabState, host: string): Endpoint | undefined => state.current?.endpoints.find((e) => e.host === host);
