import type { Settings } from '../engine/settings.ts';
import { sitesCovering, withSiteListed } from '../ui/settings-store.ts';

// "Allow on this site": the sites where Carrier Watch blocks nothing
// (settings.protection.allowedSites). Like the allowlist, an entry covers a
// page when it is the page's site or its host (ProtectionPolicy.exempt).

/** The allowedSites entries that exempt this page from blocking. */
export function allowedSiteEntriesFor(settings: Settings, site: string, url: string): string[] {
  return sitesCovering(settings.protection.allowedSites, site, url);
}

/** The settings with the site added to (on) or every entry covering the page removed from (off) allowedSites. */
export function withAllowedSite(settings: Settings, site: string, url: string, on: boolean): Settings {
  return { ...settings, protection: { ...settings.protection, allowedSites: withSiteListed(settings.protection.allowedSites, site, url, on) } };
}
