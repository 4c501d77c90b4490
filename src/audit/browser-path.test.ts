import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrowserNotFoundError, findBrowser } from './browser-path.ts';

const dir = mkdtempSync(join(tmpdir(), 'cw-browser-path-'));
const exe = join(dir, 'chrome');
writeFileSync(exe, '#!/bin/sh\n');
chmodSync(exe, 0o755);
const plain = join(dir, 'not-executable');
writeFileSync(plain, '');
chmodSync(plain, 0o644);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findBrowser', () => {
  it('takes --browser first, then CHROME_PATH, then the first system path that runs', () => {
    expect(findBrowser(exe, { CHROME_PATH: '/nope' }, [])).toEqual({ path: exe, source: '--browser' });
    expect(findBrowser(undefined, { CHROME_PATH: exe }, ['/nope'])).toEqual({ path: exe, source: 'CHROME_PATH' });
    expect(findBrowser(undefined, {}, [join(dir, 'missing'), dir, exe])).toEqual({ path: exe, source: 'system' });
  });

  it('never replaces an explicit choice that cannot run', () => {
    expect(() => findBrowser(join(dir, 'missing'), {}, [exe])).toThrow(/--browser cannot be run: .*missing \(not found\)/);
    expect(() => findBrowser(undefined, { CHROME_PATH: dir }, [exe])).toThrow(/CHROME_PATH cannot be run: .* \(not a file\)/);
    expect(() => findBrowser(plain, {}, [exe])).toThrow(/not-executable \(not executable\)/);
  });

  it('lists every path it tried, and why each failed', () => {
    let error: unknown;
    try {
      findBrowser(undefined, {}, [join(dir, 'missing'), dir]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BrowserNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain(`${join(dir, 'missing')} (not found)`);
    expect(message).toContain(`${dir} (not a file)`);
    expect(message).toContain('--browser');
    expect(message).toContain('CHROME_PATH');
  });
});
