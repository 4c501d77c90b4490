import { existsSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { deterministicZip, sourceFiles, type ZipEntry } from './package.ts';

const text = (s: string) => new TextEncoder().encode(s);
const entries: ZipEntry[] = [
  { name: 'b/run', data: text('#!/bin/sh\n'), executable: true },
  { name: 'a.txt', data: text('hello'), executable: false },
];

describe('deterministicZip', () => {
  it('gives the same bytes for the same files in any order', () => {
    expect(deterministicZip(entries, 1_780_000_000)).toEqual(deterministicZip([...entries].reverse(), 1_780_000_000));
  });

  it('round-trips the contents', () => {
    const files = unzipSync(deterministicZip(entries, 1_780_000_000));
    expect(Object.keys(files)).toEqual(['a.txt', 'b/run']);
    expect(new TextDecoder().decode(files['a.txt'])).toBe('hello');
  });
});

describe('sourceFiles', () => {
  // It lists files with git: skipped where there is no clone (a reviewer's unpacked source zip).
  it.skipIf(!existsSync(new URL('../.git', import.meta.url)))('lists what a reviewer needs to rebuild, and no build output or installs', () => {
    const files = sourceFiles();
    for (const needed of ['package.json', 'package-lock.json', 'manifest.json', 'vite.config.ts', 'REVIEWERS.md', 'scripts/icons/toolbar-icon.svg', 'src/data/generated/ip-table.bin']) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^(node_modules|dist|release|test-results)\/|\.zip$/.test(f))).toEqual([]);
  });
});
