import { formatFrame } from './initiator.ts';
import { kindLabels } from './report.ts';
import type { AuditReport, PageReport } from './report-types.ts';

// junit.xml is what CI systems (GitLab, Jenkins, GitHub test reporters)
// already display: one test case per page, failed when the page contacted a
// flagged network, carries a flagged domain in a script, or leaked a typed
// canary, and in error when it could not be audited, so a broken scan
// never shows as green. Its text comes from hostile pages, and a CI that
// cannot parse the file shows nothing at all: everything is escaped, and
// characters XML 1.0 cannot hold even escaped (control characters, lone
// surrogates) are replaced.

export const JUNIT_SUITE_NAME = 'carrier-watch audit';
const CLASS_NAME = 'carrier-watch.audit';

export function renderJunitXml(report: AuditReport): string {
  const failures = report.pages.filter((p) => p.status === 'ok' && findingsCount(p) > 0).length;
  const errors = report.pages.filter((p) => p.status === 'error').length;
  const seconds = report.pages.reduce((total, p) => total + p.durationMs, 0) / 1000;
  const counts = `tests="${report.pages.length}" failures="${failures}" errors="${errors}"`;
  const properties = [
    ['tool', `${report.tool.name} ${report.tool.version}`],
    ['browser', `${report.browser.version} (${report.browser.path})`],
    ['list', report.data.listVersion],
    ['ip-table-date', report.data.tableDate],
    ['interact', String(report.options.interact)],
    ['concurrency', String(report.options.concurrency)],
    ['timeout-ms', String(report.options.timeoutMs)],
  ]
    .map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${attr(JUNIT_SUITE_NAME)}" ${counts} time="${seconds.toFixed(3)}">
  <testsuite name="${attr(JUNIT_SUITE_NAME)}" ${counts} skipped="0" time="${seconds.toFixed(3)}" timestamp="${attr(junitTimestamp(report.startedAt))}">
    <properties>
${properties}
    </properties>
${report.pages.map(testcase).join('\n')}
  </testsuite>
</testsuites>
`;
}

function testcase(page: PageReport): string {
  const open = `    <testcase classname="${CLASS_NAME}" name="${attr(page.url)}" time="${(page.durationMs / 1000).toFixed(3)}"`;
  if (page.status === 'error') {
    const error = page.error ?? 'the page could not be audited';
    const seen = findingsCount(page) > 0 ? `\nBefore it failed:\n${findingLines(page).join('\n')}` : '';
    return `${open}>\n      <error type="audit-error" message="${attr(error)}">${text(`${page.url} could not be audited: ${error}. It is not known to be clean.${seen}`)}</error>\n    </testcase>`;
  }
  if (findingsCount(page) === 0) return `${open}/>`;
  return `${open}>\n      <failure type="flagged" message="${attr(failureMessage(page))}">${text(findingLines(page).join('\n'))}</failure>\n    </testcase>`;
}

function findingsCount(page: PageReport): number {
  return page.flagged.length + page.latent.length + page.canaryLeaks.length;
}

/** "2 flagged endpoints (China Mobile, China Telecom), 1 latent reference, 1 canary leak" */
function failureMessage(page: PageReport): string {
  const parts: string[] = [];
  if (page.flagged.length > 0) {
    const operators = [...new Set(page.flagged.map((e) => e.operator))].join(', ');
    parts.push(`${count(page.flagged.length, 'flagged endpoint')} (${operators})`);
  }
  if (page.latent.length > 0) parts.push(count(page.latent.length, 'latent reference'));
  if (page.canaryLeaks.length > 0) parts.push(count(page.canaryLeaks.length, 'canary leak'));
  return parts.join(', ');
}

function findingLines(page: PageReport): string[] {
  const lines: string[] = [];
  for (const e of page.flagged) {
    lines.push(`flagged: ${e.host}${e.ip ? ` (${e.ip})` : ''}, ${e.operator}: ${e.meaning} ${kindLabels(e).join('; ')}.`);
    if (e.initiators.length > 0) lines.push(`  initiator: ${e.initiators.map((f) => `${f.asyncBoundary ? `[async: ${f.asyncBoundary}] ` : ''}${formatFrame(f)}`).join(' <- ')}`);
    if (e.frameUrl) lines.push(`  frame: ${e.frameUrl}`);
  }
  for (const r of page.latent) lines.push(`latent: ${r.domain} (${r.operatorId}) written at ${formatFrame({ url: r.scriptUrl, line: r.line, column: r.column })}`);
  for (const l of page.canaryLeaks) lines.push(`canary leak: ${l.canary} (${l.encoding}) in the ${l.where} of ${l.requestUrl}${l.flagged ? ' (a flagged host)' : ''}`);
  return lines;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** JUnit's schema wants a local date-time without a zone: the UTC time, as such. */
function junitTimestamp(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 19);
}

/** Replaces what XML 1.0 cannot hold at all: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF. */
export function xmlSafe(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function text(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value; line breaks and tabs as character references, or a parser would turn them into spaces. */
function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}
