import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin, type Rollup } from 'vite';

// Builds the manifest's content scripts as self-contained classic scripts.
// @crxjs/vite-plugin would emit a loader that import()s the real module,
// which must then be a web-accessible resource: any site could fetch it to
// tell that Carrier Watch is installed, and the import makes the script start
// a turn late. So crx never sees `content_scripts`: this plugin bundles each
// one into a single IIFE and adds the entries to the manifest crx wrote (on
// disk: crx emits it last, so no later plugin sees it in the bundle).

export interface ContentScriptEntry {
  js: string[];
  [key: string]: unknown;
}

/** Where a content script's source (src/content/x.ts) lands in the package. */
export function outputPathOf(source: string): string {
  return source.replace(/^src\//, '').replace(/\.tsx?$/, '.js');
}

export function contentScriptsPlugin(root: URL, entries: readonly ContentScriptEntry[], target: string): Plugin {
  return {
    name: 'carrier-watch-content-scripts',
    enforce: 'post',
    async generateBundle() {
      const emitted = new Set<string>();
      for (const source of entries.flatMap((e) => e.js)) {
        if (emitted.has(source)) continue;
        emitted.add(source);
        const file = new URL(source, root).pathname;
        this.addWatchFile(file);
        const result = await build({
          configFile: false,
          logLevel: 'warn',
          build: {
            write: false,
            target,
            minify: true,
            lib: { entry: file, formats: ['iife'], name: 'carrierWatchContent', fileName: () => 'content.js' },
          },
        });
        const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
        const chunk = outputs.flatMap((o) => o.output).find((o): o is Rollup.OutputChunk => o.type === 'chunk');
        if (!chunk) this.error(`${source}: the content-script build produced no script`);
        this.emitFile({ type: 'asset', fileName: outputPathOf(source), source: chunk.code });
      }
    },
    writeBundle(options) {
      if (!options.dir) this.error('content scripts: the build has no output folder');
      const file = join(options.dir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      manifest['content_scripts'] = entries.map((e) => ({ ...e, js: e.js.map(outputPathOf) }));
      writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
    },
  };
}
