import { OPERATOR_IDS, type OperatorId } from '../engine/types.ts';
import { formatFrame } from './initiator.ts';
import { englishMessage, hasFindings, kindLabels, operatorDisplayName } from './report.ts';
import type { AuditReport, AuditedRequest, CanaryLeak, FlaggedEndpoint, LatentReference, PageReport, StackFrame } from './report-types.ts';

// report.html is evidence people forward: to a vendor, an editor, a
// security team. So it is one file that opens anywhere, offline, years
// later: inline CSS, no script, no font, no image, no link that fetches.
// Everything in it came from the web pages audited (URLs, script excerpts,
// error texts), and a page under audit may be built to attack its
// auditor, so every value is escaped, nothing is made a clickable link
// (a click must not contact the flagged host), and a Content-Security-Policy
// forbids scripts should an escape ever be missed. The data-testid
// attributes are the e2e test's contract; keep them stable.

export function renderHtmlReport(report: AuditReport): string {
  const { summary } = report;
  const title = `Carrier Watch audit: ${summary.pages} ${plural(summary.pages, 'page')}, ${summary.flaggedPages} with findings`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Carrier Watch site audit</h1>
<p class="verdict" data-testid="summary">${esc(summaryLine(report))}</p>
<dl class="facts">
${fact('Started', report.startedAt)}${fact('Finished', report.finishedAt)}${fact('Browser', `${report.browser.version} (${report.browser.path})`)}${fact(
    'Data',
    `list ${report.data.listVersion}, IP table of ${report.data.tableDate}`,
  )}${fact('Options', optionsLine(report))}${fact('Tool', `${report.tool.name} ${report.tool.version}, report format ${report.format}`)}
</dl>
${report.pages.length > 1 ? pageIndex(report.pages) : ''}
</header>
<main>
${report.pages.map((page, i) => renderPage(page, i, report.options.interact)).join('\n')}
</main>
<footer><p>A match on an IP address means the server is hosted on that operator's network, not that the site is the operator. Lines and columns are 1-based. Nothing in this file loads anything.</p></footer>
</body>
</html>
`;
}

function summaryLine(report: AuditReport): string {
  const s = report.summary;
  const parts = [
    `${s.pages} ${plural(s.pages, 'page')} audited`,
    `${s.flaggedEndpoints} flagged ${plural(s.flaggedEndpoints, 'endpoint')}`,
    `${s.latent} latent ${plural(s.latent, 'reference')}`,
  ];
  if (report.options.interact) parts.push(`${s.canaryLeaks} canary ${plural(s.canaryLeaks, 'leak')}`);
  if (s.errors > 0) parts.push(`${s.errors} ${plural(s.errors, 'page')} could not be audited`);
  return parts.join(' · ');
}

function optionsLine(report: AuditReport): string {
  const o = report.options;
  return `${o.interact ? 'typed canaries (--interact)' : 'no typing'}, concurrency ${o.concurrency}, timeout ${formatSeconds(o.timeoutMs)} per page`;
}

function pageIndex(pages: readonly PageReport[]): string {
  const items = pages.map((page, i) => `<li><a href="#page-${i + 1}">${badge(page)} <span class="url">${esc(page.url)}</span></a> ${esc(countsLine(page))}</li>`);
  return `<nav aria-label="Pages"><ol class="index">\n${items.join('\n')}\n</ol></nav>`;
}

function badge(page: PageReport): string {
  if (page.status === 'error') return '<span class="badge error">error</span>';
  return hasFindings(page) ? '<span class="badge flagged">flagged</span>' : '<span class="badge clean">clean</span>';
}

function countsLine(page: PageReport): string {
  if (page.status === 'error') return `(${page.error ?? 'error'})`;
  const parts = [`${page.flagged.length} flagged`, `${page.latent.length} latent`];
  if (page.canaryLeaks.length > 0) parts.push(`${page.canaryLeaks.length} canary ${plural(page.canaryLeaks.length, 'leak')}`);
  return `(${parts.join(', ')})`;
}

function renderPage(page: PageReport, index: number, interact: boolean): string {
  const out: string[] = [];
  out.push(`<section class="page" id="page-${index + 1}" data-testid="page" data-url="${esc(page.url)}" data-status="${esc(page.status)}">`);
  out.push(`<h2>${badge(page)} <span class="url">${esc(page.url)}</span></h2>`);
  const facts = [fact('Final URL', page.finalUrl ?? 'none (not reached)'), fact('Time', formatSeconds(page.durationMs)), fact('Requests', `${page.requests}, of them ${page.websockets} WebSocket ${plural(page.websockets, 'connection')}`)];
  out.push(`<dl class="facts">${facts.join('')}</dl>`);
  if (page.status === 'error') {
    out.push(`<p class="page-error" data-testid="page-error">Could not be audited: ${esc(page.error ?? 'unknown error')}. What follows is what was seen before it failed; the page is not known to be clean.</p>`);
  }

  out.push(`<section class="flagged"><h3>Flagged endpoints (${page.flagged.length})</h3>`);
  if (page.flagged.length === 0) out.push('<p class="none">No flagged network contacted.</p>');
  for (const operatorId of OPERATOR_IDS) {
    const endpoints = page.flagged.filter((e) => e.operatorId === operatorId);
    if (endpoints.length === 0) continue;
    out.push(`<section class="operator" data-operator-id="${esc(operatorId)}"><h4>${esc(operatorName(operatorId, endpoints))} (${endpoints.length})</h4>`);
    for (const endpoint of endpoints) out.push(renderEndpoint(endpoint));
    out.push('</section>');
  }
  out.push('</section>');

  out.push(`<section class="latent"><h3>Latent references (${page.latent.length})</h3>`);
  out.push('<p class="help">Flagged domains written in the text of a script the page loaded, whether or not the page contacted them.</p>');
  out.push(page.latent.length === 0 ? '<p class="none">None found.</p>' : latentTable(page.latent));
  out.push('</section>');

  if (interact || page.canaryLeaks.length > 0) {
    out.push(`<section class="leaks"><h3>Canary leaks (${page.canaryLeaks.length})</h3>`);
    out.push('<p class="help">Requests carrying a value typed into the page (never submitted) by --interact: as typed, encoded or hashed.</p>');
    out.push(page.canaryLeaks.length === 0 ? '<p class="none">None found.</p>' : leaksTable(page.canaryLeaks));
    out.push('</section>');
  }
  out.push('</section>');
  return out.join('\n');
}

function operatorName(id: OperatorId, endpoints: readonly FlaggedEndpoint[]): string {
  return endpoints[0]?.operator || operatorDisplayName(id);
}

function renderEndpoint(e: FlaggedEndpoint): string {
  const phoneLogin = (e.tags ?? []).includes('phone-login');
  const facts = [
    fact('IP', e.ips && e.ips.length > 1 ? `${e.ip ?? ''} (all seen: ${e.ips.join(', ')})` : (e.ip ?? 'not known (cache or failed)')),
    e.asn ? fact('Network', `AS${e.asn}${e.asName ? ` ${e.asName}` : ''}`) : '',
    fact('Matched by', e.matchedBy.join(', ') + (e.domain ? ` (listed domain ${e.domain})` : '')),
    fact('What the page did', kindLabels(e).join('; ')),
    fact('Requests', String(e.requests)),
    fact('Frame', e.frameUrl ?? 'not known'),
  ];
  return [
    `<article class="endpoint${phoneLogin ? ' phone-login' : ''}" data-testid="endpoint" data-host="${esc(e.host)}" data-operator="${esc(e.operatorId)}">`,
    `<h5><span class="host">${esc(e.host)}</span>${phoneLogin ? ` <span class="badge flagged">${esc(englishMessage('tagPhoneLogin') || 'phone-number login')}</span>` : ''}</h5>`,
    `<p class="meaning">${esc(e.meaning)}</p>`,
    phoneLogin ? `<p class="help">${esc(englishMessage('phoneLoginExplain'))}</p>` : '',
    `<dl class="facts">${facts.join('')}</dl>`,
    `<h6>Initiator${e.initiators.length === 1 && !e.evidence.some((r) => r.initiators.length > 0) ? ' (where the HTML parser found the tag)' : ', innermost first'}</h6>`,
    e.initiators.length === 0 ? '<p class="none">Not known: no script stack or HTML tag was reported for it (the page’s own navigation, a redirect, or a worker’s script).</p>' : stackList(e.initiators, 'initiator'),
    evidenceTable(e.evidence),
    '</article>',
  ].join('\n');
}

/** A stack, innermost first; async boundaries on their own line. `testid` marks the endpoint's initiator frames for the e2e test. */
function stackList(frames: readonly StackFrame[], testid: string | null): string {
  const items: string[] = [];
  for (const frame of frames) {
    if (frame.asyncBoundary !== undefined) items.push(`<li class="async">async: ${esc(frame.asyncBoundary)}</li>`);
    const location = `<code class="frame"${testid ? ` data-testid="${testid}"` : ''}>${esc(formatFrame(frame))}</code>`;
    items.push(`<li>${location}${frame.functionName ? ` <span class="fn">in ${esc(frame.functionName)}</span>` : ''}</li>`);
  }
  return `<ol class="stack">${items.join('')}</ol>`;
}

function evidenceTable(requests: readonly AuditedRequest[]): string {
  const rows = requests.map((r, i) => {
    const how = [r.fromCache ? 'from cache' : '', r.failed ? `failed${r.errorText ? `: ${r.errorText}` : ''}` : ''].filter(Boolean).join(', ');
    const origin =
      r.initiators.length > 0
        ? `<details><summary>${esc(formatFrame(r.initiators[0]!))}</summary>${stackList(r.initiators, null)}</details>`
        : r.parserLocation
          ? `<code>${esc(formatFrame(r.parserLocation))}</code> (HTML)`
          : '';
    return `<tr><td>${i + 1}</td><td>${esc(r.method)}</td><td>${esc(r.resourceType)}</td><td class="url">${esc(r.url)}</td><td>${esc(r.ip ?? '')}</td><td>${esc(r.targetType)}</td><td class="url">${esc(r.frameUrl ?? '')}</td><td>${esc(how || 'network')}</td><td>${r.bodyBytes > 0 ? r.bodyBytes : ''}</td><td>${origin}</td></tr>`;
  });
  return `<details class="evidence"><summary>Evidence: ${requests.length} ${plural(requests.length, 'request')}</summary>
<table><thead><tr><th>#</th><th>Method</th><th>Type</th><th>URL</th><th>IP</th><th>Target</th><th>Frame</th><th>Reached</th><th>Body bytes</th><th>Initiator</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></details>`;
}

function latentTable(refs: readonly LatentReference[]): string {
  const rows = refs.map(
    (r) =>
      `<tr data-testid="latent" data-domain="${esc(r.domain)}" data-operator="${esc(r.operatorId)}"><td>${esc(r.domain)}${r.host && r.host !== r.domain ? ` <span class="fn">as ${esc(r.host)}</span>` : ''}</td><td>${esc(operatorDisplayName(r.operatorId))}</td><td><code>${esc(formatFrame({ url: r.scriptUrl, line: r.line, column: r.column }))}</code></td><td>${esc(r.written ?? '')}</td><td><code class="excerpt">${esc(r.excerpt)}</code></td></tr>`,
  );
  return `<table><thead><tr><th>Domain</th><th>Operator</th><th>Where (script:line:column)</th><th>Written</th><th>Excerpt</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function leaksTable(leaks: readonly CanaryLeak[]): string {
  const rows = leaks.map(
    (l) =>
      `<tr data-testid="canary-leak" data-canary="${esc(l.canary)}" data-host="${esc(l.host)}" data-encoding="${esc(l.encoding)}"><td>${esc(l.canary)}</td><td>${esc(l.host)}${l.flagged ? ' <span class="badge flagged">flagged</span>' : ''}</td><td>${esc(l.encoding)}${l.form ? ` <span class="fn">(${esc(l.form)})</span>` : ''}</td><td>${esc(l.where)}</td><td class="url">${esc(l.requestUrl)}</td></tr>`,
  );
  return `<table><thead><tr><th>Canary</th><th>Host</th><th>Encoding</th><th>In the</th><th>Request</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function fact(term: string, value: string): string {
  return value === '' ? '' : `<dt>${esc(term)}</dt><dd>${esc(value)}</dd>`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Text and attribute values alike: the five characters HTML gives meaning to. */
export function esc(value: string): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--soft:#f6f8fa;--red:#b42318;--red-bg:#fde8e7;--green:#1a7f37;--green-bg:#e6f4ea;--amber:#9a6700;--amber-bg:#fff4d6}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--line:#30363d;--soft:#161b22;--red:#ff7b72;--red-bg:#3b1a1a;--green:#56d364;--green-bg:#12261a;--amber:#e3b341;--amber-bg:#2e2410}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1.5rem;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:0 0 .5rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}h4{margin:.8rem 0 .4rem}h5{font-size:1rem;margin:0 0 .3rem}h6{font-size:.85rem;margin:.6rem 0 .2rem;color:var(--muted)}
.url,code,td{overflow-wrap:anywhere}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.verdict{font-size:1.05rem;font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.4rem 0}.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.page{border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}
.endpoint{border-left:4px solid var(--red);background:var(--soft);padding:.6rem .9rem;margin:.6rem 0;border-radius:0 6px 6px 0}
.meaning{margin:.2rem 0;font-weight:500}
.badge{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;padding:.05rem .4rem;border-radius:4px;vertical-align:middle}
.badge.flagged{color:var(--red);background:var(--red-bg)}.badge.clean{color:var(--green);background:var(--green-bg)}.badge.error{color:var(--amber);background:var(--amber-bg)}
.page-error{color:var(--amber);background:var(--amber-bg);padding:.5rem .7rem;border-radius:6px}
.stack{margin:.2rem 0;padding-left:1.6rem}.stack li.async{list-style:none;margin-left:-1.6rem;color:var(--muted);font-style:italic}
.fn,.help,.none{color:var(--muted)}.help{font-size:.9rem;margin:.2rem 0}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.3rem 0}th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top}th{background:var(--soft)}
details summary{cursor:pointer}.evidence{margin-top:.5rem}
.index{padding-left:1.4rem}.index a{color:inherit;text-decoration:none}
footer{color:var(--muted);font-size:.85rem;margin-top:2rem}
`;
