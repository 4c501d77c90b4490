/**
 * Data bundles for the browser tests: a build of the extension that trusts a key made for this
 * run (vite.config.ts CW_DATA_BUNDLE_KEY → dist/<browser>-testkey), and bundles signed with it.
 * The release build trusts only the pinned key, whose private half the tests never have.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BrowserKind } from './browsers.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds both browsers' extension trusting `publicJwk`; returns the unpacked folders. */
export async function buildWithTestKey(publicJwk: JsonWebKey): Promise<Record<BrowserKind, string>> {
  const env = { ...process.env, CW_DATA_BUNDLE_KEY: JSON.stringify(publicJwk) };
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  for (const mode of ['chrome', 'firefox']) {
    await promisify(execFile)(process.execPath, [vite, 'build', '--mode', mode, '--logLevel', 'warn'], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 });
  }
  return { chromium: path.join(ROOT, 'dist/chrome-testkey'), firefox: path.join(ROOT, 'dist/firefox-testkey') };
}
