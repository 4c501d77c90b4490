import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import { dnrRulesetsPlugin } from './scripts/dnr-rulesets-plugin.ts';
import { flaggedListPlugin } from './scripts/flagged-list-plugin.ts';
import { iconsPlugin } from './scripts/icons/icons-plugin.ts';
import { noInnerHtmlPlugin } from './scripts/no-inner-html-plugin.ts';
import { noticesPlugin } from './scripts/notices-plugin.ts';
import { contentScriptsPlugin, type ContentScriptEntry } from './scripts/content-scripts-plugin.ts';
import { manifestFor, type Browser, type ManifestSource } from './scripts/manifest-for-browser.ts';
import { metaDataDate } from './src/data/bundle.ts';

// One Vite build per browser (`--mode chrome` / `--mode firefox`), each into
// dist/<browser>/, from the one manifest.json; the version comes from
// package.json so it is set in one place.

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
const source = JSON.parse(readFileSync(new URL('./manifest.json', import.meta.url), 'utf8')) as ManifestSource;
const dataDate = metaDataDate(JSON.parse(readFileSync(new URL('./src/data/generated/ip-table-meta.json', import.meta.url), 'utf8')));
if (!dataDate) throw new Error('src/data/generated/ip-table-meta.json has no data date (npm run data)');

/**
 * CW_DATA_BUNDLE_KEY: a public key (JWK JSON) trusted instead of the pinned one, for the browser
 * tests' own signing key (src/data/build-constants.ts). Such a build goes to dist/<browser>-testkey.
 */
function testBundleKey(): JsonWebKey | null {
  const raw = process.env['CW_DATA_BUNDLE_KEY'];
  if (!raw) return null;
  const key = JSON.parse(raw) as JsonWebKey;
  if (key.kty !== 'EC' || key.crv !== 'P-256' || !key.x || !key.y || 'd' in key) throw new Error('CW_DATA_BUNDLE_KEY must be the public half of a P-256 key, as JWK');
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y };
}

export default defineConfig(({ mode }) => {
  if (mode !== 'chrome' && mode !== 'firefox') throw new Error(`build with --mode chrome or --mode firefox (got "${mode}")`);
  const browser: Browser = mode;
  const target = browser === 'chrome' ? 'chrome116' : 'firefox140';
  // Content scripts are built apart (see content-scripts-plugin.ts): crx never sees them.
  const { content_scripts: contentScripts = [], ...manifest } = manifestFor(browser, source, pkg.version) as { content_scripts?: ContentScriptEntry[] };
  const testKey = testBundleKey();
  return {
    define: {
      __CW_BUNDLED_DATA_DATE__: JSON.stringify(dataDate),
      __CW_DATA_BUNDLE_KEY__: JSON.stringify(testKey),
    },
    // manifest.json is plain JSON, so its type is asserted here; crx checks it while building.
    plugins: [
      flaggedListPlugin(new URL('./data/flagged/', import.meta.url)),
      // The icons and notices are emitted before crx writes the manifest that names them.
      iconsPlugin(new URL('./scripts/icons/toolbar-icon.svg', import.meta.url)),
      noticesPlugin(new URL('./', import.meta.url)),
      noInnerHtmlPlugin(),
      preact(),
      crx({ manifest: manifest as unknown as ManifestV3Export, browser }),
      contentScriptsPlugin(new URL('./', import.meta.url), contentScripts, target),
      // Chrome blocks the curated domains with static rulesets; Firefox decides per request.
      browser === 'chrome' ? dnrRulesetsPlugin(new URL('./data/flagged/', import.meta.url)) : null,
    ],
    build: {
      outDir: testKey ? `dist/${browser}-testkey` : `dist/${browser}`,
      emptyOutDir: true,
      target,
      // Minified: the service worker parses its script at every cold start (see npm run
      // bench). Reviewers rebuild from the source package (npm run package).
      minify: true,
      sourcemap: false,
      // The page a blocked navigation lands on is named only in web_accessible_resources,
      // which crx copies as is: built here as a page of its own.
      rollupOptions: { input: { blocked: 'src/blocked/index.html' } },
    },
    // No dev-server HMR for the extension: it is built and loaded like a release.
    server: { host: '127.0.0.1' },
  };
});
