import type { DataStatus, TabReply } from '../background/messages.ts';
import type { SiteLog } from '../background/site-log.ts';
import type { SettingsArea } from './settings-store.ts';

// Everything the popup needs from the browser and the background, behind one
// interface: src/popup/browser-popup-api.ts implements it with browser.*,
// the unit tests with plain objects.

export interface PopupApi {
  /** The tab to show: ?tab=<id> when given, else the active tab; null when there is none. */
  tabToShow(): Promise<number | null>;
  /** The tab's URL, or null when the tab is gone. */
  tabUrl(tabId: number): Promise<string | null>;
  getTab(tabId: number): Promise<TabReply>;
  getSiteLog(site: string): Promise<SiteLog>;
  /** Which network data is in use (get-data-status), for the footer. */
  getDataStatus(): Promise<DataStatus>;
  clearSiteLog(site: string): Promise<void>;
  settings: SettingsArea;
  openOptions(): Promise<void>;
  /** Opens this popup for the tab in a normal tab (popup.html?tab=<id>). */
  openInTab(tabId: number): Promise<void>;
  copyText(text: string): Promise<void>;
  saveFile(name: string, mime: string, text: string): void;
  /** The extension's version, for exports. */
  version: string;
  now(): number;
}
