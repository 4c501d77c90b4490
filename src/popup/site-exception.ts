import type { Settings } from '../engine/settings.ts';

// "Allow on this site": the sites where Carrier Watch blocks nothing
// (settings.protection.allowedSites). Like the allowlist, an entry covers a
// page when it is the page's site or its host (ProtectionPolicy.exempt).

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** The allowedSites entries that exempt this page from blocking. */
export function allowedSiteEntriesFor(settings: Settings, site: string, url: string): string[] {
  const host = hostOf(url);
  return settings.protection.allowedSites.filter((entry) => entry === site || entry === host);
}

/** The settings with the site added to (on) or every entry covering the page removed from (off) allowedSites. */
export function withAllowedSite(settings: Settings, site: string, url: string, on: boolean): Settings {
  const covering = new Set(allowedSiteEntriesFor(settings, site, url));
  const current = settings.protection.allowedSites;
  const allowedSites = on ? (covering.size > 0 ? current : [...current, site]) : current.filter((entry) => !covering.has(entry));
  return { ...settings, protection: { ...settings.protection, allowedSites } };
}
