import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../engine/settings.ts';
import type { Validation } from '../engine/user-entries.ts';

// Reading and writing the user's settings (storage.local "settings"). The
// background re-reads them on storage.onChanged, so writing is how the popup
// and the options page act. Nothing is written that parseSettings refuses:
// the stored settings are either the old ones or valid new ones.

export const SETTINGS_KEY = 'settings';

export interface SettingsArea {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

export interface LoadedSettings {
  settings: Settings;
  /** The stored value did not parse: defaults are shown, and this says why. */
  problems: string[] | null;
}

export async function loadSettings(area: SettingsArea): Promise<LoadedSettings> {
  const raw = (await area.get(SETTINGS_KEY))[SETTINGS_KEY];
  const parsed = parseSettings(raw);
  return parsed.ok ? { settings: parsed.value, problems: null } : { settings: DEFAULT_SETTINGS, problems: parsed.errors };
}

/** Validates and stores `next`; on a problem, stores nothing and returns every problem. */
export async function saveSettings(area: SettingsArea, next: unknown): Promise<Validation<Settings>> {
  const parsed = parseSettings(next);
  if (parsed.ok) await area.set({ [SETTINGS_KEY]: parsed.value });
  return parsed;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * The entries of a list of sites that cover this page: the page's registrable
 * domain or its host (how the classifier reads the allowlist, and the
 * protection policy the sites where blocking is off).
 */
export function sitesCovering(list: readonly string[], site: string, url: string): string[] {
  const host = hostOf(url);
  return list.filter((entry) => entry === site || entry === host);
}

/** The list with the site added (on), or with every entry covering the page removed (off). */
export function withSiteListed(list: readonly string[], site: string, url: string, on: boolean): string[] {
  const covering = new Set(sitesCovering(list, site, url));
  if (on) return covering.size > 0 ? [...list] : [...list, site];
  return list.filter((entry) => !covering.has(entry));
}

/** The allowlist entries that cover this page. */
export function allowlistEntriesFor(settings: Settings, site: string, url: string): string[] {
  return sitesCovering(settings.user.allowlist, site, url);
}

/** The settings with the site added to (on) or every entry covering the page removed from (off) the allowlist. */
export function withAllowlist(settings: Settings, site: string, url: string, on: boolean): Settings {
  return { ...settings, user: { ...settings.user, allowlist: withSiteListed(settings.user.allowlist, site, url, on) } };
}
