// The one place where Chrome's and Firefox's manifests differ. manifest.json
// is written for Chrome; this adapts it for a build target. @crxjs/vite-plugin
// does not convert manifests: in Firefox mode it reads background.scripts[0]
// (see testing-in-browsers.md), so Firefox gets an event page here.

export type Browser = 'chrome' | 'firefox';

export const GECKO_ID = 'carrier-watch@carrierwatch.org';

/** A manifest as JSON: only the fields this file touches are typed. */
export interface ManifestSource {
  version: string;
  background: { service_worker: string; type?: 'module' };
  minimum_chrome_version?: string;
  [key: string]: unknown;
}

export function manifestFor(browser: Browser, source: ManifestSource, version: string): Record<string, unknown> {
  const manifest: Record<string, unknown> = { ...source, version };
  if (browser === 'chrome') return manifest;
  const { service_worker, type } = source.background;
  delete manifest['minimum_chrome_version'];
  manifest['background'] = { scripts: [service_worker], ...(type ? { type } : {}) };
  // Firefox blocks in a blocking onBeforeRequest (src/background/protection/firefox-blocker.ts),
  // deciding by the host's address before connecting; Chrome uses declarativeNetRequest.
  // Firefox alone has dns.resolve: that address, the IP of disk-cached responses, CNAME uncloaking.
  const permissions = ((source['permissions'] as string[] | undefined) ?? []).filter((p) => !p.startsWith('declarativeNetRequest'));
  manifest['permissions'] = [...permissions, 'webRequestBlocking', 'dns'];
  manifest['browser_specific_settings'] = {
    gecko: {
      id: GECKO_ID,
      // 140 is the first desktop release that reads data_collection_permissions.
      strict_min_version: '140.0',
      data_collection_permissions: { required: ['none'] },
    },
    // Firefox for Android has every API this uses (MDN compat data); 142 is its first
    // release that reads data_collection_permissions (web-ext lint checks this).
    gecko_android: { strict_min_version: '142.0' },
  };
  return manifest;
}
