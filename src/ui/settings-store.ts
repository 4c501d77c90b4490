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
 * Whether an allowlist entry covers this page: the classifier allowlists a
 * page whose host or registrable domain is listed.
 */
export function allowlistEntriesFor(settings: Settings, site: string, url: string): string[] {
  const host = hostOf(url);
  return settings.user.allowlist.filter((entry) => entry === site || entry === host);
}

/** The settings with the site added to (on) or every entry covering the page removed from (off) the allowlist. */
export function withAllowlist(settings: Settings, site: string, url: string, on: boolean): Settings {
  const covering = new Set(allowlistEntriesFor(settings, site, url));
  const allowlist = on
    ? covering.size > 0
      ? settings.user.allowlist
      : [...settings.user.allowlist, site]
    : settings.user.allowlist.filter((entry) => !covering.has(entry));
  return { ...settings, user: { ...settings.user, allowlist } };
}
