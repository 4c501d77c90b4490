import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';
import type { FlaggedList } from '../src/engine/types.ts';

// `import list from 'virtual:flagged-list'` gives the curated list already
// parsed and checked, as JSON: the list is validated when the extension is
// built (a malformed line fails the build with file:line), and the service
// worker skips ~4 ms of parsing at every cold start.

const ID = 'virtual:flagged-list';
const RESOLVED = `\0${ID}`;
const FILES = ['operators.json', 'asns.tsv', 'domains.tsv', 'lookalikes.tsv'] as const;

/** The curated list's files, for a plugin's watch list. */
export function flaggedListFiles(listDir: URL): string[] {
  return FILES.map((name) => new URL(name, listDir).pathname);
}

/** The curated list, parsed and checked (throws with file:line on a bad line). */
export function readFlaggedList(listDir: URL): FlaggedList {
  const read = (name: (typeof FILES)[number]) => readFileSync(new URL(name, listDir), 'utf8');
  return parseFlaggedList({
    operatorsJson: read('operators.json'),
    asnsTsv: read('asns.tsv'),
    domainsTsv: read('domains.tsv'),
    lookalikesTsv: read('lookalikes.tsv'),
  });
}

export function flaggedListPlugin(listDir: URL): Plugin {
  return {
    name: 'carrier-watch-flagged-list',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      for (const file of flaggedListFiles(listDir)) this.addWatchFile(file);
      const list = readFlaggedList(listDir);
      return `export default JSON.parse(${JSON.stringify(JSON.stringify(list))});`;
    },
  };
}
