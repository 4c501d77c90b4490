import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

// Ships LICENSE and THIRD-PARTY-NOTICES.md inside each extension package:
// the bundled libraries' licences ask for their notices to travel with the
// code, and the data's CC BY 4.0 for its attribution.

const FILES = ['LICENSE', 'THIRD-PARTY-NOTICES.md'] as const;

export function noticesPlugin(root: URL): Plugin {
  return {
    name: 'carrier-watch-notices',
    buildStart() {
      for (const fileName of FILES) {
        const file = new URL(fileName, root);
        this.addWatchFile(file.pathname);
        this.emitFile({ type: 'asset', fileName, source: readFileSync(file) });
      }
    },
  };
}
