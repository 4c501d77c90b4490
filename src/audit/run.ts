import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Classifier, ClassifierOptions } from '../engine/classifier.ts';
import { createClassifier } from '../data/engine-data.ts';
import { GENERATED_DIR, loadEngineDataFromDisk, readListFiles, REPO_ROOT } from '../data/node.ts';
import { AUDIT_USAGE, expandInputs, parseAuditArgs, parseAuditSettings, type AuditOptions } from './args.ts';
import { findBrowser } from './browser-path.ts';
import { CANARIES, type CanaryValues } from './canary.ts';
import { collectPage, launchBrowser, TargetRouter, type AuditBrowser, type PageCollection } from './collector.ts';
import { interactWithPage } from './interact.ts';
import { buildAuditReport, buildPageReport, dataInfo, exitCodeOf } from './report.ts';
import { renderHtmlReport } from './report-html.ts';
import { renderJunitXml } from './report-junit.ts';
import type { AuditReport, PageReport } from './report-types.ts';
import { progressLine, summaryText } from './summary.ts';

// The audit command: check everything that can be checked before a browser
// starts (arguments, URLs, settings, the output folder, the browser's
// path), then one Chromium, a pool of `--concurrency` pages, each in a fresh
// browser context, and the three reports. Exit code: exitCodeOf(report), or
// 2 for anything that stopped the run before it began.

export interface AuditIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** ANSI colours in the summary (stdout) and the progress lines (stderr). */
  stdoutColor?: boolean;
  stderrColor?: boolean;
}

const colors = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env['NO_COLOR'];

const PROCESS_IO: AuditIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  stdoutColor: colors(process.stdout),
  stderrColor: colors(process.stderr),
};

export interface AuditRunOptions {
  urls: readonly string[];
  browserPath: string;
  browserArgs?: readonly string[];
  classifier: Classifier;
  interact?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  canaries?: CanaryValues;
  /** Called as each page is done (in completion order), with its index in `urls`. */
  onPage?: (page: PageReport, index: number) => void;
}

export interface AuditRunResult {
  pages: PageReport[];
  browserVersion: string;
  startedAt: Date;
  finishedAt: Date;
  /** From the launch to the browser answering. */
  launchMs: number;
  /** From the browser answering to the last page done (the pages' wall time). */
  pagesMs: number;
}

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A page that could not be audited at all (the browser went away before it). */
function failedPage(url: string, error: string): PageCollection {
  return {
    url,
    finalUrl: null,
    status: 'error',
    error,
    durationMs: 0,
    requests: [],
    payloads: [],
    scripts: [],
    websockets: 0,
    scriptsSkipped: 0,
    targets: {},
    interaction: null,
  };
}

/**
 * Audits `urls` with one browser (started here, closed at the end) and
 * `concurrency` pages at a time. Pages come back in the order of `urls`.
 * A browser that dies is started again for the pages still to do (once per
 * death); the page it died on is reported as an error.
 */
export async function runAudit(options: AuditRunOptions): Promise<AuditRunResult> {
  const startedAt = new Date();
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, options.urls.length));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const canaries = options.canaries ?? CANARIES;
  const launchStart = Date.now();
  let browser: AuditBrowser = await launchBrowser(options.browserPath, options.browserArgs ?? []);
  const launchMs = Date.now() - launchStart;
  let router = new TargetRouter(browser.connection);
  let relaunching: Promise<void> | undefined;
  const liveBrowser = async (): Promise<{ browser: AuditBrowser; router: TargetRouter }> => {
    if (browser.gone) {
      relaunching ??= (async () => {
        await browser.close().catch(() => undefined);
        browser = await launchBrowser(options.browserPath, options.browserArgs ?? []);
        router = new TargetRouter(browser.connection);
      })().finally(() => {
        relaunching = undefined;
      });
      await relaunching;
    }
    return { browser, router };
  };

  const pages: PageReport[] = new Array(options.urls.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.urls.length) {
      const index = next++;
      const url = options.urls[index]!;
      let collection: PageCollection;
      try {
        const live = await liveBrowser();
        collection = await collectPage(live.browser, live.router, url, {
          timeoutMs,
          ...(options.interact ? { interact: (targets, deadline) => interactWithPage(targets, deadline, canaries) } : {}),
        });
        if (live.browser.gone && collection.status === 'ok') {
          collection = { ...collection, status: 'error', error: 'the browser closed during the audit of this page' };
        }
      } catch (error) {
        collection = failedPage(url, `the browser could not be started again: ${errorText(error)}`);
      }
      const page = buildPageReport(collection, options.classifier, { canaries: options.interact ? canaries : null });
      pages[index] = page;
      options.onPage?.(page, index);
    }
  };
  const pagesStart = Date.now();
  let pagesMs = 0;
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    pagesMs = Date.now() - pagesStart;
  } finally {
    await browser.close();
  }
  return { pages, browserVersion: browser.version, startedAt, finishedAt: new Date(), launchMs, pagesMs };
}

/** Creates the folder and proves a file can be written in it; the reason when not. */
function checkWritable(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) return 'not a folder';
    const probe = join(dir, `.carrier-watch-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return null;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return e.code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EROFS' ? 'read-only file system' : errorText(error);
  }
}

function readInputFile(cwd: string): (path: string) => string | null {
  return (path) => {
    const full = resolve(cwd, path);
    let stats;
    try {
      stats = statSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    if (stats.isDirectory()) throw new Error('it is a folder');
    return readFileSync(full, 'utf8');
  };
}

/** The whole command, as `carrier-watch audit …` runs it; returns the exit code. */
export async function auditCommand(argv: readonly string[], io: AuditIO = PROCESS_IO): Promise<number> {
  const usageError = (message: string): number => {
    io.stderr(`carrier-watch audit: ${message}\n\n${AUDIT_USAGE}\n`);
    return 2;
  };
  const fail = (message: string): number => {
    io.stderr(`carrier-watch audit: ${message}\n`);
    return 2;
  };

  const parsed = parseAuditArgs(argv);
  if (!parsed.ok) return usageError(parsed.error);
  const options: AuditOptions = parsed.options;
  if (options.help) {
    io.stdout(`${AUDIT_USAGE}\n`);
    return 0;
  }
  const inputs = expandInputs(options.inputs, readInputFile(io.cwd));
  if (!inputs.ok) return usageError(inputs.error);

  let classifierOptions: ClassifierOptions = {};
  if (options.settingsFile !== null) {
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, options.settingsFile), 'utf8');
    } catch (error) {
      return fail(`cannot read the settings file ${options.settingsFile}: ${errorText(error)}`);
    }
    const settings = parseAuditSettings(text, options.settingsFile);
    if (!settings.ok) return fail(settings.error);
    classifierOptions = settings.classifier;
  }

  // Before the browser: a run that cannot write its reports must not spend minutes loading pages.
  const outDir = resolve(io.cwd, options.outDir);
  const unwritable = checkWritable(outDir);
  if (unwritable !== null) return fail(`cannot write the reports to ${outDir}: ${unwritable}`);

  let browserPath: string;
  try {
    browserPath = findBrowser(options.browser ?? undefined, io.env).path;
  } catch (error) {
    return fail(errorText(error));
  }

  let classifier: Classifier;
  let data: AuditReport['data'];
  try {
    classifier = createClassifier(loadEngineDataFromDisk(), classifierOptions);
    data = dataInfo(readListFiles(), JSON.parse(readFileSync(join(GENERATED_DIR, 'ip-table-meta.json'), 'utf8')) as { source: { version: string; dataDate: string } });
  } catch (error) {
    return fail(`cannot load the network data: ${errorText(error)}`);
  }

  const total = inputs.urls.length;
  let done = 0;
  let result: AuditRunResult;
  try {
    result = await runAudit({
      urls: inputs.urls,
      browserPath,
      browserArgs: options.browserArgs,
      classifier,
      interact: options.interact,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      onPage: (page) => {
        done++;
        io.stderr(`${progressLine(page, done, total, { color: io.stderrColor ?? false })}\n`);
      },
    });
  } catch (error) {
    return fail(`the browser could not be started (${browserPath}): ${errorText(error)}`);
  }

  const report = buildAuditReport({
    version: toolVersion(),
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    browser: { path: browserPath, version: result.browserVersion },
    data,
    options: { interact: options.interact, concurrency: options.concurrency, timeoutMs: options.timeoutMs },
    pages: result.pages,
  });
  try {
    writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'report.html'), renderHtmlReport(report));
    writeFileSync(join(outDir, 'junit.xml'), renderJunitXml(report));
  } catch (error) {
    io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : summaryText(report, undefined, { color: io.stdoutColor ?? false }));
    return fail(`cannot write the reports to ${outDir}: ${errorText(error)}`);
  }
  io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : summaryText(report, outDir, { color: io.stdoutColor ?? false }));
  return exitCodeOf(report);
}
