import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLE_EXTENSION, encodeBundle, parseDataVersion, signBundle, verifyBundle } from '../src/data/bundle.ts';
import { DATA_BUNDLE_PUBLIC_KEY } from '../src/data/bundle-key.ts';
import { dataDateOfMeta, importPrivateKeyPem, publicJwkOf, readBundleFiles, sameKey } from './lib/bundle-files.ts';

// npm run data:bundle -- --key <pkcs8.pem> --out <dir> [--version YYYY-MM-DD.N]
//   [--flagged <dir>] [--generated <dir>] [--allow-unpinned-key]
// Builds a signed data bundle from the committed data (data/flagged/*,
// src/data/generated/*), checks it verifies, writes
// <out>/carrier-watch-data-<version>.cwdata and prints its SHA-256.
// See docs/data-bundles.md.

const USAGE = 'usage: npm run data:bundle -- --key <pkcs8.pem> --out <dir> [--version YYYY-MM-DD.N] [--flagged <dir>] [--generated <dir>] [--allow-unpinned-key]';

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        key: { type: 'string' },
        out: { type: 'string' },
        version: { type: 'string' },
        flagged: { type: 'string' },
        generated: { type: 'string' },
        'allow-unpinned-key': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`data:bundle: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 1;
  }
  if (!values.key || !values.out) {
    console.error(`data:bundle: --key and --out are required\n${USAGE}`);
    return 1;
  }

  const files = readBundleFiles(values.flagged, values.generated);
  const dataDate = dataDateOfMeta(files.ipTableMeta);
  const version = values.version ?? `${dataDate}.1`;
  const parsed = parseDataVersion(version);
  if (!parsed) {
    console.error(`data:bundle: --version ${version} is not YYYY-MM-DD.N (data date, then a build number)`);
    return 1;
  }
  if (parsed.dataDate !== dataDate) {
    console.error(`data:bundle: --version ${version} names the date ${parsed.dataDate}, but the table's data date is ${dataDate}`);
    return 1;
  }

  let privateKey: CryptoKey;
  try {
    privateKey = await importPrivateKeyPem(readFileSync(values.key, 'utf8'));
  } catch (error) {
    console.error(`data:bundle: cannot read the private key ${values.key}: ${error instanceof Error ? error.message : String(error)} (expected an ECDSA P-256 key as PKCS#8 PEM)`);
    return 1;
  }
  const publicKey = await publicJwkOf(privateKey);
  if (!sameKey(publicKey, DATA_BUNDLE_PUBLIC_KEY)) {
    if (!values['allow-unpinned-key']) {
      console.error('data:bundle: this private key does not match the public key pinned in src/data/bundle-key.ts: the extension would reject the bundle. Pass --allow-unpinned-key to sign anyway (tests, a rotation in progress).');
      return 1;
    }
    console.error('data:bundle: note: signing with a key that is not the pinned one (--allow-unpinned-key)');
  }

  const file = await signBundle(encodeBundle({ version, files }), privateKey);
  // The same checks the extension makes (without the update guards): never write a bundle that would be refused.
  const check = await verifyBundle(file, publicKey);
  if (!check.ok) {
    console.error(`data:bundle: the bundle does not verify (${check.reason}): ${check.message}; nothing written`);
    return 1;
  }

  mkdirSync(values.out, { recursive: true });
  const path = join(values.out, `carrier-watch-data-${version}${BUNDLE_EXTENSION}`);
  writeFileSync(path, file);
  const sha256 = createHash('sha256').update(file).digest('hex');
  console.log(`data:bundle: wrote ${path} (${file.byteLength} bytes, version ${version}, data of ${dataDate})`);
  console.log(`sha256 ${sha256}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`data:bundle: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
