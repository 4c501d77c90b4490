import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Protocol } from 'devtools-protocol';
import puppeteer, { Connection, type CDPSession, type ConnectionTransport } from 'puppeteer-core';
import { hostOfUrl } from '../engine/host.ts';
import { fromInitiator, resolveAsyncParents, framesOfStack, type CdpStackTrace } from './initiator.ts';
import type { AuditedRequest } from './report-types.ts';

// What one page does on the network, seen from CDP: every request of every
// target the page starts (the page, its out-of-process iframes, dedicated,
// shared and service workers), with the script stack behind it, and the text
// of every script it ran. One small class per concern, one loop that attaches
// to every target (Tracker Radar Collector's lesson; house-style.md).
//
// Why not puppeteer.launch(): puppeteer's own target manager auto-attaches to
// every target and resumes it at once (Runtime.runIfWaitingForDebugger),
// racing the audit's sessions: a worker could run, and fetch, before the
// audit had enabled Network on it. So the audit starts Chromium itself over
// --remote-debugging-pipe (with puppeteer's default flags) and drives it with
// puppeteer-core's Connection: every session is the audit's, and no target
// runs before its Network and Debugger domains are on.

/** A CDP target type as reported on each request. */
export type TargetKind = 'page' | 'iframe' | 'worker' | 'shared_worker' | 'service_worker' | (string & {});

/** A script the page ran, with its text, for the latent-reference search. */
export interface CollectedScript {
  url: string;
  source: string;
  /** Where the script starts in its resource, 0-based (an inline script starts inside its document). */
  startLine: number;
  startColumn: number;
  targetType: TargetKind;
}

/** What was sent to a request's destination beyond its URL: its body, or WebSocket frames. */
export interface SentPayloads {
  request: AuditedRequest;
  /** The request body as text (UTF-8), and each WebSocket frame sent. */
  texts: string[];
}

export interface PageCollection {
  url: string;
  finalUrl: string | null;
  status: 'ok' | 'error';
  error: string | null;
  durationMs: number;
  /** Every request seen, in order, WebSockets included (resourceType "websocket"). */
  requests: AuditedRequest[];
  /** Bodies and WebSocket frames, for the canary search. */
  payloads: SentPayloads[];
  scripts: CollectedScript[];
  websockets: number;
  /** Scripts not read: over the per-script or per-page cap, or gone before their text could be read. */
  scriptsSkipped: number;
  /** Targets attached, by type (for the report's evidence and the tests). */
  targets: Record<string, number>;
  /** What --interact did, when it ran. */
  interaction: InteractionSummary | null;
}

export interface InteractionSummary {
  frames: number;
  inputs: number;
  typed: Array<{ frameUrl: string; canary: string; field: string }>;
}

/** A target --interact can type into: the page or an out-of-process iframe. */
export interface FrameTarget {
  session: CDPSession;
  kind: TargetKind;
  url: string;
}

export interface CollectOptions {
  timeoutMs: number;
  /** How long the network must stay quiet after `load` (default 1000 ms). */
  idleMs?: number;
  /** Types into the page's inputs (interact.ts); the collector then waits `afterInteractMs` of quiet. */
  interact?: (targets: () => FrameTarget[], deadline: number) => Promise<InteractionSummary>;
  afterInteractMs?: number;
  maxScriptChars?: number;
  maxPageScriptChars?: number;
}

export const MAX_SCRIPT_CHARS = 5 * 1024 * 1024;
/** Of a request's body and WebSocket frames, the text kept for the canary search (the byte count stays exact). */
export const MAX_PAYLOAD_CHARS = 5 * 1024 * 1024;
export const MAX_PAGE_SCRIPT_CHARS = 50 * 1024 * 1024;
const RECORDED_SCHEMES = /^(https?|wss?):/i;
/** After this much silence the network counts as idle even with requests open (long polls, streams). */
const STALLED_MS = 3000;

const AUTO_ATTACH = { autoAttach: true, waitForDebuggerOnStart: true, flatten: true } as const;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A request as first seen: where it went, who made it and the script behind it; the response fills in the rest. */
function newRequest(target: AttachedTarget, url: string, method: string, resourceType: string, frameUrl: string | null, initiator: Protocol.Network.Initiator | undefined): AuditedRequest {
  const host = hostOfUrl(url);
  const located = fromInitiator(initiator, { urlOfScript: (id) => target.scriptUrls.get(id) });
  const request: AuditedRequest = {
    url,
    host: host.ok ? host.host : '',
    method,
    resourceType,
    frameUrl,
    targetType: target.kind,
    ip: null,
    ipSource: 'none',
    fromCache: false,
    failed: false,
    bodyBytes: 0,
    initiators: located.initiators,
  };
  if (located.parserLocation) request.parserLocation = located.parserLocation;
  return request;
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

/** The audit's browser flags (the issue's list) beside puppeteer's defaults. */
export const AUDIT_BROWSER_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Cross-site iframes in processes (and CDP targets) of their own.
  '--site-per-process',
];

/** CDP over Chromium's --remote-debugging-pipe: NUL-terminated JSON on fds 3 (in) and 4 (out). */
class PipeTransport implements ConnectionTransport {
  onmessage?: (message: string) => void;
  onclose?: () => void;
  private pending: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly write: Writable,
    read: Readable,
  ) {
    read.on('data', (chunk: Buffer) => this.receive(chunk));
    read.on('close', () => this.shut());
    read.on('error', () => this.shut());
    write.on('error', () => this.shut());
  }

  send(message: string): void {
    if (this.closed) return;
    this.write.write(message);
    this.write.write('\0');
  }

  close(): void {
    this.shut();
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    let end = chunk.indexOf(0);
    if (end === -1) {
      this.pending.push(chunk);
      return;
    }
    while (end !== -1) {
      const message = Buffer.concat([...this.pending, chunk.subarray(start, end)]).toString('utf8');
      this.pending = [];
      // In order and synchronously: a session's listeners must be on before its first event.
      this.onmessage?.(message);
      start = end + 1;
      end = chunk.indexOf(0, start);
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }
}

export interface AuditBrowser {
  connection: Connection;
  /** e.g. "Chrome/156.0.8078.114" */
  version: string;
  path: string;
  /** True once the browser has gone (closed, crashed). */
  readonly gone: boolean;
  close(): Promise<void>;
}

/**
 * Starts Chromium headless with a fresh profile (removed on close) and the
 * audit's flags, then `extraArgs` (the user's --browser-arg). Throws with
 * the browser's last words when it does not come up.
 */
export async function launchBrowser(path: string, extraArgs: readonly string[], timeoutMs = 30_000): Promise<AuditBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'carrier-watch-audit-'));
  const args = puppeteer.defaultArgs({ headless: true, userDataDir: profile, args: [...AUDIT_BROWSER_FLAGS, ...extraArgs] });
  args.push('--remote-debugging-pipe');
  let child: ChildProcess;
  try {
    child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not start the browser ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      gone = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      stderrTail += `\n${error.message}`;
      done();
    });
  });
  const transport = new PipeTransport(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const connection = new Connection('pipe:', transport, 0, Math.max(timeoutMs, 30_000));
  const kill = (): void => {
    if (gone || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  // A run stopped with Ctrl-C (or crashing) must not leave a browser behind.
  const onExit = (): void => {
    kill();
    rmSync(profile, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (!gone) {
        await Promise.race([connection.send('Browser.close').catch(() => undefined), exited]);
        const timer = setTimeout(kill, 5000);
        await exited;
        clearTimeout(timer);
      }
      connection.dispose();
      process.off('exit', onExit);
      rmSync(profile, { recursive: true, force: true });
    })());
  const exitError = (): Error =>
    new Error(`the browser ${path} exited before it answered${stderrTail.trim() ? `:\n${stderrTail.trim().split('\n').slice(-8).join('\n')}` : ''}`);
  try {
    // A pipe that closes (the process gone) fails the call first: say the process's last words.
    const started = connection.send('Browser.getVersion').catch(async (error: unknown) => {
      await Promise.race([exited, delay(1000)]);
      throw gone ? exitError() : error;
    });
    const failed = exited.then(() => {
      throw exitError();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the browser ${path} did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const version = await Promise.race([started, failed, timeout]).finally(() => clearTimeout(timer));
    return {
      connection,
      version: version.product,
      path,
      get gone() {
        return gone;
      },
      close,
    };
  } catch (error) {
    kill();
    await close().catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The router: browser-level targets (service and shared workers) to the page that started them
// ---------------------------------------------------------------------------------------------

/**
 * Service and shared workers belong to the browser context, not to a page,
 * and may not be auto-attached under the page that registered them. The
 * router auto-attaches to them at the browser level (paused until the audit
 * has set them up), watches targetCreated in case one slips through, and
 * hands each to the page audit of its browser context (one context per page).
 */
export class TargetRouter {
  private readonly audits = new Map<string, PageAudit>();
  private ready: Promise<void> | undefined;

  constructor(private readonly connection: Connection) {}

  start(): Promise<void> {
    this.ready ??= (async () => {
      this.connection.on('Target.attachedToTarget', (event) => this.onAttached(event));
      this.connection.on('Target.targetCreated', (event) => this.onCreated(event.targetInfo));
      this.connection.on('Target.targetCrashed', (event) => {
        for (const audit of this.audits.values()) audit.onTargetCrashed(event.targetId, event.status);
      });
      await this.connection.send('Target.setDiscoverTargets', { discover: true });
      await this.connection.send('Target.setAutoAttach', {
        ...AUTO_ATTACH,
        filter: [{ type: 'service_worker' }, { type: 'shared_worker' }, { exclude: true }],
      });
    })();
    return this.ready;
  }

  register(contextId: string, audit: PageAudit): void {
    this.audits.set(contextId, audit);
  }

  unregister(contextId: string): void {
    this.audits.delete(contextId);
  }

  private onAttached(event: Protocol.Target.AttachedToTargetEvent): void {
    const { targetInfo, sessionId, waitingForDebugger } = event;
    const session = this.connection.session(sessionId);
    if (!session) return;
    const audit = targetInfo.browserContextId === undefined ? undefined : this.audits.get(targetInfo.browserContextId);
    if (audit && (targetInfo.type === 'service_worker' || targetInfo.type === 'shared_worker')) {
      audit.adopt(session, targetInfo, waitingForDebugger);
    } else if (waitingForDebugger) {
      // Not ours (another context, or a page the audit attaches to itself): let it run.
      void session.send('Runtime.runIfWaitingForDebugger').catch(() => undefined);
    }
  }

  private onCreated(info: Protocol.Target.TargetInfo): void {
    const audit = info.browserContextId === undefined ? undefined : this.audits.get(info.browserContextId);
    if (!audit) return;
    if (info.type === 'service_worker' || info.type === 'shared_worker') audit.noticeTarget(info, 100);
    // A popup the page opened (window.open): attached as it appears; its first request may be missed.
    else if (info.type === 'page' && info.openerId !== undefined) audit.noticeTarget(info, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// One page
// ---------------------------------------------------------------------------------------------

interface LiveRequest {
  request: AuditedRequest;
  session: CDPSession;
  texts: string[];
  /** Characters kept in `texts` (at most MAX_PAYLOAD_CHARS). */
  kept: number;
  /** Answered (or failed): no longer holds the network busy. */
  done: boolean;
}

interface AttachedTarget {
  targetId: string;
  kind: TargetKind;
  session: CDPSession;
  url: string;
  /** Settles once Network, Debugger and auto-attach are on (and the target resumed). */
  ready: Promise<void>;
  scriptUrls: Map<string, string>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stripBrackets(ip: string | undefined): string | null {
  if (!ip) return null;
  return ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
}

function decodeBase64Text(data: string): { text: string; bytes: number } {
  const buffer = Buffer.from(data, 'base64');
  return { text: buffer.subarray(0, MAX_PAYLOAD_CHARS * 4).toString('utf8'), bytes: buffer.length };
}

/** Keeps `text` for the canary search, within the request's MAX_PAYLOAD_CHARS. */
function keepText(live: LiveRequest, text: string): void {
  const room = MAX_PAYLOAD_CHARS - live.kept;
  if (room <= 0 || text === '') return;
  const kept = text.length > room ? text.slice(0, room) : text;
  live.texts.push(kept);
  live.kept += kept.length;
}

function hasParentId(stack: CdpStackTrace | undefined): boolean {
  for (let s = stack, depth = 0; s !== undefined && depth < 64; s = s.parent, depth++) {
    if (s.parentId !== undefined) return true;
  }
  return false;
}

/**
 * The audit of one page: a fresh browser context (its own cache, cookies and
 * service workers; the cache disabled on every target), every target attached
 * before it runs, the navigation, `load`, then a quiet network.
 */
export class PageAudit {
  private readonly targets = new Map<string, AttachedTarget>();
  private readonly bySession = new Map<CDPSession, AttachedTarget>();
  private readonly live = new Map<string, LiveRequest>();
  private readonly requests: LiveRequest[] = [];
  private readonly scripts: CollectedScript[] = [];
  private readonly seenScripts = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly debuggers = new Map<string, CDPSession>();
  private readonly targetCounts: Record<string, number> = {};
  private scriptChars = 0;
  private scriptsSkipped = 0;
  private websockets = 0;
  private lastActivity = Date.now();
  private crashed: string | null = null;
  private loaded = false;
  private pageTargetId = '';
  private readonly loadWaiters = new Set<() => void>();
  private readonly maxScriptChars: number;
  private readonly maxPageScriptChars: number;

  constructor(
    private readonly connection: Connection,
    private readonly router: TargetRouter,
    private readonly url: string,
    private readonly options: CollectOptions,
  ) {
    this.maxScriptChars = options.maxScriptChars ?? MAX_SCRIPT_CHARS;
    this.maxPageScriptChars = options.maxPageScriptChars ?? MAX_PAGE_SCRIPT_CHARS;
  }

  async run(): Promise<PageCollection> {
    const started = Date.now();
    const deadline = started + this.options.timeoutMs;
    let status: 'ok' | 'error' = 'ok';
    let error: string | null = null;
    let finalUrl: string | null = null;
    let interaction: InteractionSummary | null = null;
    let contextId: string | undefined;
    try {
      await this.router.start();
      ({ browserContextId: contextId } = await this.connection.send('Target.createBrowserContext', { disposeOnDetach: true }));
      this.router.register(contextId, this);
      const { targetId } = await this.connection.send('Target.createTarget', { url: 'about:blank', browserContextId: contextId });
      this.pageTargetId = targetId;
      const { sessionId } = await this.connection.send('Target.attachToTarget', { targetId, flatten: true });
      const session = this.connection.session(sessionId);
      if (!session) throw new Error('could not attach to the new page');
      const info: Protocol.Target.TargetInfo = { targetId, type: 'page', title: '', url: 'about:blank', attached: true, canAccessOpener: false };
      const page = this.adopt(session, info, false);
      session.on('Page.loadEventFired', () => {
        this.loaded = true;
        for (const wake of this.loadWaiters) wake();
      });
      session.on('Inspector.targetCrashed', () => this.onTargetCrashed(targetId, 'crashed'));
      await Promise.all([
        session.send('Page.enable'),
        this.options.interact ? session.send('Emulation.setFocusEmulationEnabled', { enabled: true }) : undefined,
        page.ready,
      ]);
      const navigation = await this.beforeDeadline(session.send('Page.navigate', { url: this.url }), deadline, 'the page to answer');
      if (navigation.errorText) throw new AuditError(`navigation failed: ${navigation.errorText}`);
      await this.waitForLoad(deadline);
      await this.waitForIdle(this.options.idleMs ?? 1000, deadline);
      if (this.options.interact) {
        interaction = await this.options.interact(() => this.frameTargets(), deadline);
        await this.waitForIdle(this.options.afterInteractMs ?? 1500, deadline);
      }
      this.checkCrash();
      const target = await this.connection.send('Target.getTargetInfo', { targetId }).catch(() => undefined);
      finalUrl = target?.targetInfo.url ?? null;
    } catch (caught) {
      status = 'error';
      error = caught instanceof AuditError ? caught.message : `the audit failed: ${errorMessage(caught)}`;
      if (this.crashed) error = this.crashed;
    }
    // What was asked (script texts, post data, async parents) but not yet answered.
    await this.settlePending(Math.max(deadline + 5000, Date.now() + 2000));
    if (contextId !== undefined) {
      this.router.unregister(contextId);
      await this.connection.send('Target.disposeBrowserContext', { browserContextId: contextId }).catch(() => undefined);
    }
    const requests = this.requests.map((r) => r.request);
    return {
      url: this.url,
      finalUrl,
      status,
      error,
      durationMs: Date.now() - started,
      requests,
      payloads: this.requests.filter((r) => r.texts.length > 0).map((r) => ({ request: r.request, texts: r.texts })),
      scripts: this.scripts,
      websockets: this.websockets,
      scriptsSkipped: this.scriptsSkipped,
      targets: { ...this.targetCounts },
      interaction,
    };
  }

  // ---- targets ----

  /** A target attached (under the page, or by the router): listen, set up, then let it run. */
  adopt(session: CDPSession, info: Protocol.Target.TargetInfo, waiting: boolean): AttachedTarget {
    const existing = this.targets.get(info.targetId);
    if (existing) {
      // The same target twice (a service worker under the page and at the browser level): one
      // session listens; the other only lets it run (after the first one's commands, sent already).
      if (waiting) void session.send('Runtime.runIfWaitingForDebugger').catch(() => undefined);
      return existing;
    }
    const kind: TargetKind = info.type;
    this.targetCounts[kind] = (this.targetCounts[kind] ?? 0) + 1;
    // A target starting (a worker, a frame) is about to make its requests: not a quiet network.
    this.touch();
    const target: AttachedTarget = { targetId: info.targetId, kind, session, url: info.url, ready: Promise.resolve(), scriptUrls: new Map() };
    this.targets.set(info.targetId, target);
    this.bySession.set(session, target);
    this.listen(target);
    const quietly = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
    const isFrame = kind === 'page' || kind === 'iframe';
    // Sent in order without waiting for answers: a target paused on start (a service worker)
    // answers only once it runs, and it handles commands in the order sent, so every domain
    // is on before runIfWaitingForDebugger lets its first line run.
    const commands = [
      quietly(session.send('Target.setAutoAttach', AUTO_ATTACH)),
      quietly(session.send('Network.enable', {})),
      quietly(session.send('Network.setCacheDisabled', { cacheDisabled: true })),
      quietly(
        session.send('Debugger.enable', {}).then((r) => {
          if (r.debuggerId) this.debuggers.set(r.debuggerId, session);
        }),
      ),
      quietly(session.send('Debugger.setAsyncCallStackDepth', { maxDepth: 32 })),
      isFrame && kind !== 'page' ? quietly(session.send('Page.enable')) : undefined,
      waiting ? quietly(session.send('Runtime.runIfWaitingForDebugger')) : undefined,
    ];
    target.ready = Promise.all(commands).then(() => undefined);
    return target;
  }

  /**
   * A target discovered in this page's context: a service or shared worker auto-attach did not
   * bring (it usually does: `wait` gives it a moment first), or a popup.
   */
  noticeTarget(info: Protocol.Target.TargetInfo, wait: number): void {
    const attempt = (async () => {
      if (wait > 0) await delay(wait);
      if (this.targets.has(info.targetId)) return;
      const { sessionId } = await this.connection.send('Target.attachToTarget', { targetId: info.targetId, flatten: true });
      const session = this.connection.session(sessionId);
      // Run it in any case: a popup of an audited page starts paused (waiting for a debugger)
      // and, sharing its opener's process, would hold the opener's load event too.
      if (session) await this.adopt(session, info, true).ready;
    })().catch(() => undefined);
    this.track(attempt);
  }

  onTargetCrashed(targetId: string, status: string): void {
    if (targetId === this.pageTargetId) {
      this.crashed = `the page crashed${status && status !== 'crashed' ? ` (${status})` : ''}`;
      for (const wake of this.loadWaiters) wake();
    }
  }

  private frameTargets(): FrameTarget[] {
    return [...this.targets.values()]
      .filter((t) => (t.kind === 'page' || t.kind === 'iframe') && !t.session.detached)
      .map((t) => ({ session: t.session, kind: t.kind, url: t.url }));
  }

  private listen(target: AttachedTarget): void {
    const { session } = target;
    session.on('Target.attachedToTarget', (event) => {
      const child = this.connection.session(event.sessionId);
      if (child) this.adopt(child, event.targetInfo, event.waitingForDebugger);
    });
    session.on('Target.detachedFromTarget', () => undefined);
    session.on('Page.frameNavigated', (event) => {
      if (event.frame.parentId === undefined) target.url = event.frame.url;
    });
    session.on('Network.requestWillBeSent', (event) => this.onRequest(target, event));
    session.on('Network.responseReceived', (event) => this.onResponse(event.requestId, event.response));
    session.on('Network.requestServedFromCache', (event) => {
      const live = this.live.get(event.requestId);
      if (live) live.request.fromCache = true;
    });
    session.on('Network.dataReceived', () => this.touch());
    session.on('Network.loadingFinished', (event) => this.finish(event.requestId));
    session.on('Network.loadingFailed', (event) => {
      const live = this.live.get(event.requestId);
      if (live) {
        live.request.failed = true;
        live.request.errorText = event.blockedReason ? `${event.errorText} (blocked: ${event.blockedReason})` : event.errorText;
      }
      this.finish(event.requestId);
    });
    session.on('Network.webSocketCreated', (event) => this.onWebSocket(target, event));
    session.on('Network.webSocketFrameSent', (event) => {
      const live = this.live.get(event.requestId);
      if (!live) return;
      const { opcode, payloadData } = event.response;
      if (opcode === 1) {
        keepText(live, payloadData);
        live.request.bodyBytes += Buffer.byteLength(payloadData, 'utf8');
      } else if (opcode === 2) {
        const { text, bytes } = decodeBase64Text(payloadData);
        keepText(live, text);
        live.request.bodyBytes += bytes;
      }
      this.touch();
    });
    session.on('Network.webSocketFrameError', (event) => {
      const live = this.live.get(event.requestId);
      if (live && !live.request.failed) {
        live.request.failed = true;
        live.request.errorText = event.errorMessage;
      }
    });
    session.on('Debugger.scriptParsed', (event) => this.onScript(target, event));
  }

  // ---- requests ----

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private onRequest(target: AttachedTarget, event: Protocol.Network.RequestWillBeSentEvent): void {
    this.touch();
    const previous = this.live.get(event.requestId);
    if (event.redirectResponse && previous) {
      // Each hop of a redirect is a request of its own (to a possibly different host).
      this.onResponse(event.requestId, event.redirectResponse);
      this.finish(event.requestId);
    } else if (previous) {
      // The same request reported by a second target (an iframe's navigation: parent and child).
      return;
    }
    const url = event.request.url + (event.request.urlFragment ?? '');
    if (!RECORDED_SCHEMES.test(url)) return;
    const request = newRequest(target, url, event.request.method, (event.type ?? 'Other').toLowerCase(), event.documentURL ?? target.url ?? null, event.initiator);
    // A page target's main frame has the target's id (the audited page, or a popup it opened).
    if (request.resourceType === 'document') request.mainFrame = target.kind === 'page' && event.frameId === target.targetId;
    const live: LiveRequest = { request, session: target.session, texts: [], kept: 0, done: false };
    this.live.set(event.requestId, live);
    this.requests.push(live);
    this.readBody(live, event);
    // Async parents living in another debugger (a worker's stack whose parent is the page's).
    const stack = event.initiator.stack;
    if (stack && hasParentId(stack)) {
      this.track(
        resolveAsyncParents(stack, (id) => this.stackById(id)).then((full) => {
          const frames = framesOfStack(full, { urlOfScript: (sid) => target.scriptUrls.get(sid) });
          if (frames.length > 0) request.initiators = frames;
        }),
      );
    }
  }

  private async stackById(id: Protocol.Runtime.StackTraceId): Promise<CdpStackTrace | undefined> {
    const session = id.debuggerId === undefined ? undefined : this.debuggers.get(id.debuggerId);
    if (!session) return undefined;
    const { stackTrace } = await session.send('Debugger.getStackTrace', { stackTraceId: id });
    return stackTrace;
  }

  private readBody(live: LiveRequest, event: Protocol.Network.RequestWillBeSentEvent): void {
    const { request } = event;
    const entries = request.postDataEntries;
    if (entries && entries.length > 0) {
      let bytes = 0;
      const parts: string[] = [];
      for (const entry of entries) {
        if (entry.bytes === undefined) continue;
        const decoded = decodeBase64Text(entry.bytes);
        bytes += decoded.bytes;
        parts.push(decoded.text);
      }
      if (bytes > 0) {
        live.request.bodyBytes = bytes;
        keepText(live, parts.join(''));
        return;
      }
    }
    if (request.postData !== undefined) {
      live.request.bodyBytes = Buffer.byteLength(request.postData, 'utf8');
      keepText(live, request.postData);
      return;
    }
    if (request.hasPostData) {
      this.track(
        live.session
          .send('Network.getRequestPostData', { requestId: event.requestId })
          .then(({ postData, base64Encoded }) => {
            const decoded = base64Encoded ? decodeBase64Text(postData) : { text: postData, bytes: Buffer.byteLength(postData, 'utf8') };
            live.request.bodyBytes = decoded.bytes;
            keepText(live, decoded.text);
          })
          .catch(() => undefined),
      );
    }
  }

  private onResponse(requestId: string, response: Protocol.Network.Response): void {
    this.touch();
    const live = this.live.get(requestId);
    if (!live) return;
    // Answered: what follows is its body, which a script may never read (loadingFinished then
    // never comes); the body's arrival still counts as activity (dataReceived).
    live.done = true;
    const ip = stripBrackets(response.remoteIPAddress);
    if (ip) {
      live.request.ip = ip;
      live.request.ipSource = 'response';
    }
    if (response.fromDiskCache || response.fromServiceWorker || response.fromPrefetchCache || response.fromEarlyHints) {
      live.request.fromCache = true;
    }
  }

  private finish(requestId: string): void {
    this.touch();
    const live = this.live.get(requestId);
    if (live) live.done = true;
  }

  private onWebSocket(target: AttachedTarget, event: Protocol.Network.WebSocketCreatedEvent): void {
    this.touch();
    if (!RECORDED_SCHEMES.test(event.url)) return;
    const request = newRequest(target, event.url, 'GET', 'websocket', target.url || null, event.initiator);
    // A WebSocket stays open: it never holds the network "busy".
    const live: LiveRequest = { request, session: target.session, texts: [], kept: 0, done: true };
    this.live.set(event.requestId, live);
    this.requests.push(live);
    this.websockets++;
  }

  private inFlight(): number {
    let n = 0;
    for (const live of this.live.values()) {
      if (!live.done && !live.session.detached) n++;
    }
    return n;
  }

  // ---- scripts ----

  private onScript(target: AttachedTarget, event: Protocol.Debugger.ScriptParsedEvent): void {
    // Code about to run (a worker's script, a timer's eval) may make requests next.
    this.touch();
    const url = event.url;
    if (url) target.scriptUrls.set(event.scriptId, url);
    if (!url || /^(chrome-extension|extensions|about|chrome|devtools|chrome-error|data):/i.test(url)) return;
    const key = `${url}\n${event.hash}\n${event.startLine}:${event.startColumn}`;
    if (this.seenScripts.has(key)) return;
    this.seenScripts.add(key);
    if (event.length !== undefined && event.length > this.maxScriptChars) {
      this.scriptsSkipped++;
      return;
    }
    const length = event.length ?? 0;
    if (this.scriptChars + length > this.maxPageScriptChars) {
      this.scriptsSkipped++;
      return;
    }
    this.scriptChars += length;
    this.track(
      target.session
        .send('Debugger.getScriptSource', { scriptId: event.scriptId })
        .then(({ scriptSource }) => {
          if (scriptSource.length > this.maxScriptChars) {
            this.scriptsSkipped++;
            return;
          }
          this.scripts.push({ url, source: scriptSource, startLine: event.startLine, startColumn: event.startColumn, targetType: target.kind });
        })
        .catch(() => {
          this.scriptsSkipped++;
        }),
    );
  }

  // ---- waiting ----

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private async settlePending(until: number): Promise<void> {
    while (this.pending.size > 0 && Date.now() < until) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, until - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private checkCrash(): void {
    if (this.crashed) throw new AuditError(this.crashed);
  }

  private async beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AuditError(`timed out after ${this.options.timeoutMs} ms waiting for ${what}`)), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitForLoad(deadline: number): Promise<void> {
    if (!this.loaded && !this.crashed) {
      let wake: () => void = () => undefined;
      const loaded = new Promise<void>((resolve) => {
        wake = resolve;
        this.loadWaiters.add(wake);
      });
      try {
        await this.beforeDeadline(loaded, deadline, 'the page to load (its load event)');
      } finally {
        this.loadWaiters.delete(wake);
      }
    }
    this.checkCrash();
  }

  /**
   * Until the network has been quiet for `quietMs` with nothing in flight (or
   * quiet for STALLED_MS with something hanging open), or the deadline.
   * Late requests (workers, timers) are seen this way.
   */
  private async waitForIdle(quietMs: number, deadline: number): Promise<void> {
    this.lastActivity = Math.max(this.lastActivity, Date.now());
    for (;;) {
      this.checkCrash();
      const now = Date.now();
      if (now >= deadline) return;
      const quiet = now - this.lastActivity;
      if ((quiet >= quietMs && this.inFlight() === 0) || quiet >= Math.max(STALLED_MS, quietMs * 2)) return;
      await delay(Math.min(100, deadline - now));
    }
  }
}

/** A failure worth saying as is (the page's fault, or the clock), not as an internal error. */
export class AuditError extends Error {
  override name = 'AuditError';
}

/** Audits one page in `browser` (a fresh context; the router must be shared by the run). */
export function collectPage(browser: AuditBrowser, router: TargetRouter, url: string, options: CollectOptions): Promise<PageCollection> {
  return new PageAudit(browser.connection, router, url, options).run();
}
