import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { operatorTotals, verifyBundle, type GuardContext, type PublicKeyInput } from '../src/data/bundle.ts';
import { DATA_BUNDLE_KEY_FINGERPRINT, DATA_BUNDLE_PUBLIC_KEY } from '../src/data/bundle-key.ts';
import { installedDataOf, parsePublicKeyFile, readBundleFiles } from './lib/bundle-files.ts';

// npm run data:verify -- <file.cwdata> [--public-key <jwk.json | spki.pem>] [--no-guards]
//   [--flagged <dir>] [--generated <dir>]
// Verifies a data bundle as the extension would: container, signature (the
// pinned key of src/data/bundle-key.ts unless --public-key), format, schema,
// and the update guards against the committed data (as both the bundled and
// the current data) unless --no-guards. Prints what it holds and exits 0, or
// prints the reason and exits 1. See docs/data-bundles.md.

const USAGE = 'usage: npm run data:verify -- <file.cwdata> [--public-key <jwk.json | spki.pem>] [--no-guards] [--flagged <dir>] [--generated <dir>]';

async function main(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        'public-key': { type: 'string' },
        'no-guards': { type: 'boolean', default: false },
        flagged: { type: 'string' },
        generated: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    console.error(`data:verify: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 1;
  }
  if (positionals.length !== 1) {
    console.error(`data:verify: give exactly one bundle file\n${USAGE}`);
    return 1;
  }
  const path = positionals[0]!;
  let file: Uint8Array;
  try {
    file = new Uint8Array(readFileSync(path));
  } catch (error) {
    console.error(`data:verify: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  let key: PublicKeyInput = DATA_BUNDLE_PUBLIC_KEY;
  let keyLabel = `the pinned key (sha256 ${DATA_BUNDLE_KEY_FINGERPRINT.slice(0, 16)}…)`;
  if (values['public-key']) {
    try {
      key = parsePublicKeyFile(readFileSync(values['public-key'], 'utf8'));
    } catch (error) {
      console.error(`data:verify: cannot read the public key ${values['public-key']}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    keyLabel = values['public-key'];
  }
  let guards: GuardContext | undefined;
  if (!values['no-guards']) {
    const committed = installedDataOf(readBundleFiles(values.flagged, values.generated));
    guards = { current: committed, bundled: committed };
  }

  const result = await verifyBundle(file, key, guards);
  if (!result.ok) {
    console.error(`data:verify: ${path}: rejected (${result.reason}): ${result.message}`);
    return 1;
  }
  const { bundle } = result;
  const lines = [
    `data:verify: ${path}: verified with ${keyLabel}${guards ? `; guards passed against the committed data (${guards.bundled.version})` : '; guards skipped (--no-guards)'}`,
    `  sha256    ${createHash('sha256').update(file).digest('hex')}`,
    `  format    ${bundle.format}`,
    `  version   ${bundle.version}`,
    `  data of   ${bundle.dataDate}`,
    `  created   ${bundle.createdAt}`,
    `  table     ${bundle.table.v4Count} IPv4 and ${bundle.table.v6Count} IPv6 ranges; list: ${bundle.list.asns.length} ASNs, ${bundle.list.domains.length} domains`,
  ];
  for (const [id, t] of operatorTotals(bundle.list, bundle.table)) {
    lines.push(`  ${id.padEnd(14)} ${t.asns} ASNs, ${t.v4Ranges} IPv4 ranges (${t.v4Addresses} addresses), ${t.v6Ranges} IPv6 ranges (${t.v6Addresses} addresses), ${t.domains} domains`);
  }
  console.log(lines.join('\n'));
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`data:verify: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
