import { Resvg } from '@resvg/resvg-js';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { ICON_SIZES, iconFile, type IconSize, type IconState } from '../../src/background/toolbar-icon.ts';

// Renders the toolbar and add-on icons from one SVG (toolbar-icon.svg) at
// build time: both states at 16/32/48/128 px, emitted into the build as
// icons/toolbar-<state>-<size>.png. The PNGs are build output, never
// committed, so the SVG is the only thing to edit. resvg ships its renderer
// as a per-platform npm binary: nothing is downloaded at build time.

const STATES = ['normal', 'flagged'] as const satisfies readonly IconState[];
const ROOT_CLASS = 'class="normal"';

/** The SVG for a state: the source's root element carries class="normal"; CSS in it draws the rest. */
export function svgFor(source: string, state: IconState): string {
  if (!source.includes(ROOT_CLASS)) throw new Error(`toolbar-icon.svg: the root <svg> must carry ${ROOT_CLASS}`);
  return source.replace(ROOT_CLASS, `class="${state}"`);
}

export function renderIcon(source: string, state: IconState, size: IconSize): Buffer {
  const png = new Resvg(svgFor(source, state), { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render();
  if (png.width !== size || png.height !== size) throw new Error(`toolbar-icon.svg rendered at ${png.width}x${png.height}, expected ${size}x${size}`);
  return png.asPng();
}

/** Every icon file of the build: path inside the extension → PNG bytes. */
export function renderAllIcons(source: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const state of STATES) for (const size of ICON_SIZES) files.set(iconFile(state, size), renderIcon(source, state, size));
  return files;
}

export function iconsPlugin(svg: URL): Plugin {
  return {
    name: 'carrier-watch-icons',
    buildStart() {
      this.addWatchFile(svg.pathname);
      // Emitted before @crxjs/vite-plugin writes the manifest, which then finds them in the bundle.
      for (const [fileName, source] of renderAllIcons(readFileSync(svg, 'utf8'))) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}
