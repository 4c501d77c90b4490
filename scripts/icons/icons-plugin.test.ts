import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ICON_SIZES, iconFile } from '../../src/background/toolbar-icon.ts';
import { renderAllIcons, svgFor } from './icons-plugin.ts';

// The build's icons: every size of both states, square PNGs of the right
// size, and the flagged state visibly different from the normal one.

const SOURCE = readFileSync(new URL('./toolbar-icon.svg', import.meta.url), 'utf8');

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('toolbar icons', () => {
  const files = renderAllIcons(SOURCE);

  it('renders both states at 16, 32, 48 and 128 px', () => {
    expect([...files.keys()].sort()).toEqual(ICON_SIZES.flatMap((s) => [iconFile('normal', s), iconFile('flagged', s)]).sort());
    for (const size of ICON_SIZES) {
      for (const state of ['normal', 'flagged'] as const) expect(pngSize(files.get(iconFile(state, size))!)).toEqual({ width: size, height: size });
      expect(files.get(iconFile('flagged', size))!.equals(files.get(iconFile('normal', size))!), `size ${size}`).toBe(false);
    }
  });

  it('renders the same bytes every time (the build is reproducible)', () => {
    expect(renderAllIcons(SOURCE)).toEqual(files);
  });

  it('refuses a source whose root is not marked for the states', () => {
    expect(() => svgFor('<svg xmlns="http://www.w3.org/2000/svg"/>', 'flagged')).toThrow(/class="normal"/);
  });
});
