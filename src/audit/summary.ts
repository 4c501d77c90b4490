import { hasFindings } from './report.ts';
import type { AuditReport, PageReport } from './report-types.ts';

// What a person watching the terminal, or scrolling a CI log, needs: one
// progress line per page as it finishes (stderr, so --json keeps stdout
// clean), then one line per page and the totals, and where the full
// reports went. The details live in report.html; these lines only have to
// say which page to open. Page URLs and error texts come from the web, so
// control characters are neutralized before they reach a terminal that
// would obey them.

export interface SummaryOptions {
  /** ANSI colours (when stderr/stdout is a TTY and NO_COLOR is unset). */
  color?: boolean;
}

/** Where the reports were written, for the summary's last line. */
export interface ReportOutputs {
  dir: string;
  files: readonly string[];
}

const MAX_URL = 100;
const MAX_HOSTS = 3;

/** "[3/20] https://… ok, 2 flagged, 1 latent (1.4 s)", or "[4/20] https://… error: timeout after 30 s (30.0 s)". */
export function formatProgress(done: number, total: number, page: PageReport, options: SummaryOptions = {}): string {
  const width = String(total).length;
  const head = `[${String(done).padStart(width)}/${total}] ${shorten(page.url)}`;
  const time = `(${seconds(page.durationMs)})`;
  if (page.status === 'error') return `${head} ${paint('error', 'yellow', options)}: ${clean(page.error ?? 'unknown error')} ${time}`;
  const counts = countParts(page);
  const verdict = counts.length === 0 ? `${paint('ok', 'green', options)}, nothing flagged` : `${paint('ok', 'red', options)}, ${counts.join(', ')}`;
  return `${head} ${verdict} ${time}`;
}

export function formatSummary(report: AuditReport, outputs: ReportOutputs | null, options: SummaryOptions = {}): string {
  const s = report.summary;
  const flagged = report.pages.filter((p) => p.status === 'ok' && hasFindings(p)).length;
  const errors = report.pages.filter((p) => p.status === 'error').length;
  const lines: string[] = [];
  lines.push(`Carrier Watch audit: ${count(report.pages.length, 'page')}: ${flagged} flagged, ${report.pages.length - flagged - errors} clean, ${count(errors, 'error')}`);
  for (const page of report.pages) lines.push(`  ${pageLine(page, options)}`);
  const totals = [count(s.flaggedEndpoints, 'flagged endpoint'), count(s.latent, 'latent reference')];
  if (report.options.interact) totals.push(count(s.canaryLeaks, 'canary leak'));
  lines.push(`Total: ${totals.join(', ')}.`);
  if (errors > 0) lines.push(`${count(errors, 'page')} could not be audited: the scan is incomplete.`);
  if (outputs) lines.push(`Reports: ${outputs.files.map((f) => joinPath(outputs.dir, f)).join(', ')}`);
  return lines.join('\n');
}

function pageLine(page: PageReport, options: SummaryOptions): string {
  if (page.status === 'error') return `${paint('ERROR  ', 'yellow', options)} ${shorten(page.url)}  ${clean(page.error ?? 'unknown error')}`;
  if (!hasFindings(page)) return `${paint('clean  ', 'green', options)} ${shorten(page.url)}`;
  const parts = countParts(page);
  if (page.flagged.length > 0) {
    const hosts = page.flagged.slice(0, MAX_HOSTS).map((e) => `${e.operator}: ${e.host}`);
    if (page.flagged.length > MAX_HOSTS) hosts.push(`${page.flagged.length - MAX_HOSTS} more`);
    parts[0] = `${parts[0]} (${hosts.join('; ')})`;
  }
  return `${paint('FLAGGED', 'red', options)} ${shorten(page.url)}  ${clean(parts.join(', '))}`;
}

function countParts(page: PageReport): string[] {
  const parts: string[] = [];
  if (page.flagged.length > 0) parts.push(`${page.flagged.length} flagged`);
  if (page.latent.length > 0) parts.push(`${page.latent.length} latent`);
  if (page.canaryLeaks.length > 0) parts.push(count(page.canaryLeaks.length, 'canary leak'));
  return parts;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Long URLs keep their start and end: the host and the page's own name. */
function shorten(url: string): string {
  const text = clean(url);
  if (text.length <= MAX_URL) return text;
  const keep = MAX_URL - 1;
  return `${text.slice(0, Math.ceil(keep * 0.6))}…${text.slice(text.length - Math.floor(keep * 0.4))}`;
}

/** C0 and C1 controls (ESC starts a terminal command) and line breaks as visible escapes. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? `${dir}${file}` : `${dir}/${file}`;
}

const COLORS = { red: 31, green: 32, yellow: 33 } as const;

function paint(text: string, color: keyof typeof COLORS, options: SummaryOptions): string {
  return options.color ? `\u001B[${COLORS[color]}m${text}\u001B[0m` : text;
}

/** The files the audit writes, in the order the summary names them. */
export const REPORT_FILES: readonly string[] = ['report.json', 'report.html', 'junit.xml'];

/** formatProgress in the run loop's argument order (run.ts). */
export function progressLine(page: PageReport, done: number, total: number, options: SummaryOptions = {}): string {
  return formatProgress(done, total, page, options);
}

/** The summary for stdout, newline-terminated; with `outDir`, naming the three reports in it. */
export function summaryText(report: AuditReport, outDir?: string, options: SummaryOptions = {}): string {
  return `${formatSummary(report, outDir === undefined ? null : { dir: outDir, files: REPORT_FILES }, options)}\n`;
}
