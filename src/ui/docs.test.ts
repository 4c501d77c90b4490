import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README shows the popup and the options page: the pictures it points to must exist.

const ROOT = join(import.meta.dirname, '..', '..');

describe('README', () => {
  it('points at a popup screenshot that exists', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(images).toContain('docs/popup.png');
    expect(images).toContain('docs/options.png');
    for (const image of images) expect(existsSync(join(ROOT, image)), image).toBe(true);
  });
});
