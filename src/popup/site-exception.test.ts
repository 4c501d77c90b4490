import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../engine/settings.ts';
import { allowedSiteEntriesFor, withAllowedSite } from './site-exception.ts';

const settings = (allowedSites: string[]): Settings => ({ ...DEFAULT_SETTINGS, protection: { mode: 'block', blockPhoneLogin: true, allowedSites } });

describe('Allow on this site', () => {
  it('adds the page\'s site once, keeping every other setting, and the result is valid', () => {
    const next = withAllowedSite(settings(['other.org']), 'example.com', 'https://news.example.com/a', true);
    expect(next.protection).toEqual({ mode: 'block', blockPhoneLogin: true, allowedSites: ['other.org', 'example.com'] });
    expect(withAllowedSite(next, 'example.com', 'https://news.example.com/a', true).protection.allowedSites).toEqual(['other.org', 'example.com']);
    expect(parseSettings(next).ok).toBe(true);
  });

  it('is covered by an entry for the site or the host, and removing takes off every covering entry', () => {
    const s = settings(['news.example.com', 'example.com', 'other.org']);
    expect(allowedSiteEntriesFor(s, 'example.com', 'https://news.example.com/a')).toEqual(['news.example.com', 'example.com']);
    expect(allowedSiteEntriesFor(s, 'example.net', 'https://example.net/')).toEqual([]);
    expect(withAllowedSite(s, 'example.com', 'https://news.example.com/a', false).protection.allowedSites).toEqual(['other.org']);
  });
});
