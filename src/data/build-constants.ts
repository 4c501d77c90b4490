import { DATA_BUNDLE_PUBLIC_KEY } from './bundle-key.ts';
import { bundledDataVersion } from './bundle.ts';

// Values vite.config.ts fixes when the extension is built (`define`):
// - the date of the network data the build ships (ip-table-meta.json), so the
//   background knows its data's version without loading that 60 KB file;
// - CW_DATA_BUNDLE_KEY, a public key (JWK) that replaces the pinned one in a
//   test build, so the browser tests can sign bundles with a key they make
//   when they run. Such a build goes to dist/<browser>-testkey and
//   `npm run package` refuses to package it.

declare const __CW_BUNDLED_DATA_DATE__: string | undefined;
declare const __CW_DATA_BUNDLE_KEY__: JsonWebKey | null | undefined;

const dataDate = typeof __CW_BUNDLED_DATA_DATE__ === 'string' ? __CW_BUNDLED_DATA_DATE__ : '1970-01-01';

/** The version of the data shipped in this build: build 0 of its data date. */
export const BUNDLED_DATA_VERSION = bundledDataVersion(dataDate);

/** The key data bundles must be signed with. */
export const TRUSTED_BUNDLE_KEY: Readonly<JsonWebKey> =
  typeof __CW_DATA_BUNDLE_KEY__ === 'object' && __CW_DATA_BUNDLE_KEY__ !== null ? __CW_DATA_BUNDLE_KEY__ : DATA_BUNDLE_PUBLIC_KEY;
