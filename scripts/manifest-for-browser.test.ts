import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestFor, type ManifestSource } from './manifest-for-browser.ts';

// What each store gets from the one manifest.json.

const source = JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8')) as ManifestSource;
const chrome = manifestFor('chrome', source, '1.2.3');
const firefox = manifestFor('firefox', source, '1.2.3');

describe('manifestFor', () => {
  it('takes the version from the argument (package.json), for both browsers', () => {
    expect(chrome['version']).toBe('1.2.3');
    expect(firefox['version']).toBe('1.2.3');
  });

  it('asks for the least: no "tabs", no remote hosts beyond the request watcher, notifications optional', () => {
    expect(chrome['permissions']).toEqual(['webRequest', 'webNavigation', 'storage', 'declarativeNetRequestWithHostAccess']);
    expect(firefox['permissions']).toEqual(['webRequest', 'webNavigation', 'storage', 'webRequestBlocking', 'dns']);
    expect(chrome['optional_permissions']).toEqual(['notifications']);
  });

  it('makes only the explanation page web-accessible, in Chrome at its per-session URL (no probing by the fixed id)', () => {
    expect(chrome['web_accessible_resources']).toEqual([{ resources: ['src/blocked/index.html'], matches: ['<all_urls>'], use_dynamic_url: true }]);
    expect(chrome['storage']).toEqual({ managed_schema: 'managed-schema.json' });
  });

  it('has a strict extension-page CSP: only its own scripts, no eval, no objects; connections only to https and this machine', () => {
    const csp = (chrome['content_security_policy'] as { extension_pages: string }).extension_pages;
    expect(csp).toMatch(/(?:^|; )default-src 'none'/);
    expect(csp).toMatch(/(?:^|; )script-src 'self'(?:;|$)/);
    expect(csp).toMatch(/(?:^|; )object-src 'none'/);
    expect(csp).not.toMatch(/unsafe/);
    // Data updates (src/background/data-updates.ts) fetch over https, or plain http on this machine (tests, a local mirror).
    expect(csp).toMatch(/(?:^|; )connect-src 'self' https: http:\/\/127\.0\.0\.1:\* http:\/\/localhost:\*;/);
    expect(csp.replace(/connect-src [^;]*;/, '')).not.toMatch(/https?:|\*/);
    expect(firefox['content_security_policy']).toEqual(chrome['content_security_policy']);
  });

  it('declares Firefox for Android from the release that reads data_collection_permissions', () => {
    expect(firefox['browser_specific_settings']).toMatchObject({
      gecko: { strict_min_version: '140.0', data_collection_permissions: { required: ['none'] } },
      gecko_android: { strict_min_version: '142.0' },
    });
    expect(chrome['browser_specific_settings']).toBeUndefined();
  });
});
