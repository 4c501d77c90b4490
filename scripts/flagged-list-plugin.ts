import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';

// `import list from 'virtual:flagged-list'` gives the curated list already
// parsed and checked, as JSON: the list is validated when the extension is
// built (a malformed line fails the build with file:line), and the service
// worker skips ~4 ms of parsing at every cold start.

const ID = 'virtual:flagged-list';
const RESOLVED = `\0${ID}`;
const FILES = ['operators.json', 'asns.tsv', 'domains.tsv', 'lookalikes.tsv'] as const;

export function flaggedListPlugin(listDir: URL): Plugin {
  const path = (name: string) => new URL(name, listDir);
  return {
    name: 'carrier-watch-flagged-list',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      for (const name of FILES) this.addWatchFile(path(name).pathname);
      const read = (name: (typeof FILES)[number]) => readFileSync(path(name), 'utf8');
      const list = parseFlaggedList({
        operatorsJson: read('operators.json'),
        asnsTsv: read('asns.tsv'),
        domainsTsv: read('domains.tsv'),
        lookalikesTsv: read('lookalikes.tsv'),
      });
      return `export default JSON.parse(${JSON.stringify(JSON.stringify(list))});`;
    },
  };
}
