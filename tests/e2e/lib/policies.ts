/**
 * Enterprise policies written the way an administrator writes them, so the extension's
 * storage.managed is what a managed fleet would give it (testing-in-browsers.md, "Enterprise
 * policies"):
 *
 * - Chromium reads every file in /etc/chromium/policies/managed/ at launch; extension settings
 *   go under `3rdparty.extensions.<extension id>`. An unpacked extension's id comes from its
 *   folder's real path (chromium.ts `unpackedExtensionId`), so compute it before launch.
 * - Firefox reads <install dir>/distribution/policies.json at launch (Debian's package:
 *   /usr/lib/firefox-esr/distribution/policies.json); extension settings go under
 *   `policies.3rdparty.Extensions.<gecko id>`. There is one such file per installation, so an
 *   existing one is moved aside and put back exactly (the same inode: mode, owner, times).
 *
 * Both are system files. Removal is guaranteed four ways: the `remove()` each install returns
 * (call it in afterAll and in a finally around a failed launch); a process `exit` hook and
 * SIGINT/SIGTERM/SIGHUP handlers that undo every live install synchronously; and a journal in
 * the temp dir, so the next install undoes what a run killed with SIGKILL left behind. The
 * journal also makes a second process that wants the same file (another engineer's run) fail
 * at once, naming the process that holds it, instead of overwriting its policy.
 *
 * Policies apply to every browser launched while they are installed. Chromium's names one
 * extension id (one build folder); Firefox's names the gecko id, so a Firefox run of any other
 * e2e file started meanwhile on this machine gets the policy too: run files one at a time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where Debian's Chromium reads mandatory policies from. */
export const CHROMIUM_POLICY_DIR = process.env.CW_E2E_CHROMIUM_POLICY_DIR ?? '/etc/chromium/policies/managed';
/** The one file this harness writes there. */
export const CHROMIUM_POLICY_FILE = path.join(CHROMIUM_POLICY_DIR, 'carrier-watch-e2e.json');
/** Firefox ESR's policies.json (Debian: the distribution dir is a symlink to /usr/share/firefox-esr/distribution). */
export const FIREFOX_POLICY_FILE = process.env.CW_E2E_FIREFOX_POLICY_FILE ?? '/usr/lib/firefox-esr/distribution/policies.json';
/**
 * Firefox on Linux prefers this system-wide file when it exists (EnterprisePolicies: the
 * "SysConfD" policies.json wins over the distribution dir's), so ours would be ignored.
 */
export const FIREFOX_SYSTEM_POLICY_FILE = '/etc/firefox/policies/policies.json';

/** A managed value as an administrator writes it: any JSON. */
export type PolicyValues = Record<string, unknown>;

export interface InstalledPolicy {
  /** The policy file written. */
  readonly file: string;
  /**
   * Deletes the file written (Firefox: puts back the policies.json that was there), then the
   * directories the install created, then the journal. Idempotent: later calls do nothing.
   */
  remove(): Promise<void>;
}

/**
 * Writes /etc/chromium/policies/managed/carrier-watch-e2e.json =
 * `{"3rdparty": {"extensions": {"<extensionId>": values}}}`. Call it before launching Chromium:
 * Chromium reads policies at launch.
 */
export function installChromiumPolicy(extensionId: string, values: PolicyValues): Promise<InstalledPolicy> {
  if (!/^[a-p]{32}$/.test(extensionId)) throw new Error(`installChromiumPolicy: "${extensionId}" is not a Chromium extension id (32 letters a-p)`);
  return install(CHROMIUM_POLICY_FILE, { '3rdparty': { extensions: { [extensionId]: values } } });
}

/**
 * Writes Firefox's distribution/policies.json = `{"policies": {"3rdparty": {"Extensions":
 * {"<geckoId>": values}}}}`, moving an existing policies.json aside (restored by remove()).
 * Call it before launching Firefox: Firefox reads policies at launch.
 */
export function installFirefoxPolicy(geckoId: string, values: PolicyValues): Promise<InstalledPolicy> {
  if (fs.existsSync(FIREFOX_SYSTEM_POLICY_FILE)) {
    throw new Error(`installFirefoxPolicy: ${FIREFOX_SYSTEM_POLICY_FILE} exists; Firefox would read it instead of ${FIREFOX_POLICY_FILE}`);
  }
  return install(FIREFOX_POLICY_FILE, { policies: { '3rdparty': { Extensions: { [geckoId]: values } } } });
}

// ---------------------------------------------------------------------------------------------
// The journal: what an install changed, kept on disk until remove() has undone it
// ---------------------------------------------------------------------------------------------

interface Journal {
  /** The process that installed the policy. */
  pid: number;
  /** The policy file written. */
  file: string;
  /** Where the file that was there before is kept (same directory, so a rename), or null. */
  backup: string | null;
  /** Directories created for the file, deepest first (removed if empty). */
  createdDirs: string[];
}

const BACKUP_SUFFIX = '.carrier-watch-e2e-backup';

function journalPath(file: string): string {
  const digest = createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `carrier-watch-e2e-policy-${digest}.json`);
}

function readJournal(file: string): Journal | undefined {
  try {
    return JSON.parse(fs.readFileSync(journalPath(file), 'utf8')) as Journal;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

const exists = (p: string): boolean => fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined;

/**
 * Undoes what a journal records, from any point the install reached (a crash can stop it
 * anywhere). Synchronous: it runs in exit hooks. With a backup recorded but not on disk, the
 * original was never moved aside, so the file there is the original and stays.
 */
function undo(journal: Journal): void {
  if (journal.backup === null || exists(journal.backup)) {
    try {
      fs.unlinkSync(journal.file);
    } catch (error) {
      if (!missing(error)) throw error;
    }
    if (journal.backup !== null) fs.renameSync(journal.backup, journal.file);
  }
  for (const dir of journal.createdDirs) {
    try {
      fs.rmdirSync(dir);
    } catch (error) {
      // Someone else put a file there meanwhile: theirs now, leave it.
      if (!missing(error) && (error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw error;
    }
  }
  fs.rmSync(journalPath(journal.file), { force: true });
}

function needRoot(file: string, error: unknown): Error {
  return new Error(
    `Writing the enterprise policy ${file} needs root (it is a system file the browser reads at launch): ` +
      `run the e2e tests as root, as CI does (${(error as Error).message})`,
  );
}

/** The nearest existing ancestor of `dir` (mkdir -p would start there). */
function existingAncestor(dir: string): string {
  let current = path.resolve(dir);
  while (!fs.existsSync(current)) current = path.dirname(current);
  return current;
}

// ---------------------------------------------------------------------------------------------
// Live installs and the last-resort hooks
// ---------------------------------------------------------------------------------------------

const live = new Map<string, Journal>();
let hooksInstalled = false;

function undoAll(): void {
  for (const [file, journal] of live) {
    try {
      undo(journal);
    } catch (error) {
      process.stderr.write(`carrier-watch e2e: could not remove the policy ${file}: ${String(error)}\n`);
    }
  }
  live.clear();
}

/**
 * `exit` and signals. A signal listener replaces Node's default "terminate", so after undoing,
 * a handler that finds itself the only listener re-raises the signal (the process ends as it
 * would have). When internal.ts's hooks are installed too (a browser is running), they decide:
 * the browsers are killed, the awaiting test fails, afterAll and the `exit` hook run.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', undoAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      undoAll();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

async function install(file: string, content: unknown): Promise<InstalledPolicy> {
  if (live.has(file)) throw new Error(`${file} is already installed by this process: remove() it first`);
  const stale = readJournal(file);
  if (stale) {
    if (stale.pid !== process.pid && processAlive(stale.pid)) {
      throw new Error(`${file} is in use by another test run (pid ${stale.pid}, journal ${journalPath(file)}): run policy tests one at a time`);
    }
    // A run that was killed (SIGKILL) before it could clean up: finish its removal first.
    process.stderr.write(`carrier-watch e2e: removing the policy ${file} left behind by pid ${stale.pid}\n`);
    undo(stale);
  }
  const dir = path.dirname(file);
  try {
    fs.accessSync(existingAncestor(dir), fs.constants.W_OK);
  } catch (error) {
    throw needRoot(file, error);
  }
  installHooks();
  const createdDirs: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) createdDirs.push(d);
  const journal: Journal = {
    pid: process.pid,
    file,
    // lstat: an existing symlink is moved aside as it is, not followed.
    backup: exists(file) ? `${file}${BACKUP_SUFFIX}` : null,
    createdDirs,
  };
  if (journal.backup !== null && exists(journal.backup)) {
    throw new Error(`${journal.backup} exists with no journal: restore or delete it by hand, then run again`);
  }
  // Journal first: whatever happens after, the next install (or the hooks) can undo it.
  fs.writeFileSync(journalPath(file), JSON.stringify(journal));
  live.set(file, journal);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (journal.backup !== null) fs.renameSync(file, journal.backup);
    fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o644 });
  } catch (error) {
    live.delete(file);
    undo(journal);
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? needRoot(file, error) : error;
  }
  return {
    file,
    async remove(): Promise<void> {
      // Already undone (an earlier call, or a signal handler): a second undo would delete the
      // policies.json it put back.
      if (live.get(file) !== journal) return;
      undo(journal);
      live.delete(file);
    },
  };
}
