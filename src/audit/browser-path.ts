import { accessSync, constants, statSync } from 'node:fs';

// Which Chromium the audit runs, without ever downloading one: the user's
// --browser, else CHROME_PATH, else the usual system places. Debian's
// /usr/bin/chromium is a shell wrapper that adds flags of its own, so the real
// binary (/usr/lib/chromium/chromium) comes first.

export const SYSTEM_BROWSER_PATHS: readonly string[] = [
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
];

export class BrowserNotFoundError extends Error {
  override name = 'BrowserNotFoundError';
}

export interface BrowserChoice {
  path: string;
  /** Where the path came from. */
  source: '--browser' | 'CHROME_PATH' | 'system';
}

/** Why `path` cannot be run, or null when it can (an executable file). */
function unusable(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return 'not a file';
    accessSync(path, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : String(code ?? error);
  }
}

/**
 * The browser to run. An explicit choice (--browser, then CHROME_PATH) is used
 * as given and never silently replaced: if it cannot run, that is the error.
 * Throws BrowserNotFoundError naming everything tried.
 */
export function findBrowser(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = SYSTEM_BROWSER_PATHS,
): BrowserChoice {
  const chosen: Array<[string, BrowserChoice['source']]> = [];
  if (explicit !== undefined && explicit !== '') chosen.push([explicit, '--browser']);
  else if (env['CHROME_PATH']) chosen.push([env['CHROME_PATH'], 'CHROME_PATH']);
  if (chosen.length > 0) {
    const [path, source] = chosen[0]!;
    const problem = unusable(path);
    if (problem === null) return { path, source };
    throw new BrowserNotFoundError(
      `the browser given by ${source} cannot be run: ${path} (${problem}). Give the path of a Chromium or Chrome binary.`,
    );
  }
  const tried: string[] = [];
  for (const path of candidates) {
    const problem = unusable(path);
    if (problem === null) return { path, source: 'system' };
    tried.push(`  ${path} (${problem})`);
  }
  throw new BrowserNotFoundError(
    `no Chromium or Chrome found (the audit never downloads one). Tried:\n${tried.join('\n')}\n` +
      'Install one (Debian: apt-get install chromium) or give its path with --browser <path> or CHROME_PATH.',
  );
}
