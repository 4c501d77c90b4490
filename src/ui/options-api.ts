import type { DataStatus } from '../background/messages.ts';
import type { SettingsArea } from './settings-store.ts';

// Everything the options page needs from the browser and the background:
// src/options/browser-options-api.ts implements it with browser.*, the unit
// tests with plain objects.

export interface OptionsApi {
  settings: SettingsArea;
  /** Calls `listener` when the stored settings change (e.g. the popup allowlisted a site); returns an unsubscribe. */
  onSettingsChanged(listener: () => void): () => void;
  /**
   * The organisation's settings as storage.managed holds them, unchecked
   * (parseManagedPolicy checks them); {} when there are none or they cannot
   * be read (Firefox rejects when no policy exists).
   */
  managed(): Promise<unknown>;
  /** Calls `listener` when the managed settings change (a policy pushed while the page is open); returns an unsubscribe. */
  onManagedChanged(listener: () => void): () => void;
  /** Deletes every site's log. */
  clearAllData(): Promise<void>;
  /**
   * Asks for the optional "notifications" permission. Must be called straight
   * from a click or change handler (browsers require a user gesture).
   */
  requestNotifications(): Promise<boolean>;
  /** Gives the permission back when no notification is wanted any more. */
  releaseNotifications(): Promise<void>;
  /** Which network data is in use and how updates stand (get-data-status). */
  getDataStatus(): Promise<DataStatus>;
  /** "Check now": resolves when the check is done, with the status after it (check-data-now). */
  checkDataNow(): Promise<DataStatus>;
  saveFile(name: string, mime: string, text: string): void;
  version: string;
  now(): number;
}
