import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

// Sizes of the built extensions, total and per file, raw and gzipped (what a
// store download roughly costs).

export interface BundleFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export function bundleSizes(dir: string): { total: number; gzipTotal: number; files: BundleFile[] } {
  const files: BundleFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.push({ path: relative(dir, full), bytes: statSync(full).size, gzipBytes: gzipSync(readFileSync(full)).length });
    }
  };
  walk(dir);
  files.sort((a, b) => b.bytes - a.bytes);
  return { total: files.reduce((n, f) => n + f.bytes, 0), gzipTotal: files.reduce((n, f) => n + f.gzipBytes, 0), files };
}
