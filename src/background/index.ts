import { arrivedMs, early, scriptStartMs } from './early-start.ts';
import type { Runtime, WebNavigation, WebRequest } from 'webextension-polyfill';
import type { Classification, Classifier } from '../engine/classifier.ts';
import { hostOfUrl } from '../engine/host.ts';
import { siteOf } from '../engine/party.ts';
import { classifierOptions, DEFAULT_SETTINGS, parseSettings, type Settings } from '../engine/settings.ts';
import { applyManagedPolicy, isLocked, NO_MANAGED_POLICY, parseManagedPolicy, type ManagedReading } from '../engine/managed-settings.ts';
import { ProtectionPolicy } from '../engine/protection.ts';
import { IpTable } from '../engine/ip-table.ts';
import type { FlaggedList } from '../engine/types.ts';
import { createClassifier, type EngineData } from '../data/engine-data.ts';
import { bundledList, bundledTable } from '../data/bundled.ts';
import { BUNDLED_DATA_VERSION, TRUSTED_BUNDLE_KEY } from '../data/build-constants.ts';
import { restoreStoredBundle, STORED_BUNDLE_KEY, type AppliedData } from '../data/stored-bundle.ts';
import { DataUpdater, UPDATE_STATE_KEY } from './data-updates.ts';
import { BadgeScheduler, badgeFor } from './badge.ts';
import { browser, localArea, sessionArea, toolbarBadge } from './browser-api.ts';
import { firefoxResolver } from './firefox-dns.ts';
import { HostIpCache } from './host-ip-cache.ts';
import { handleMessage, isFromExtensionPage } from './messages.ts';
import { LEARNED_KEY } from './protection/protection.ts';
import { isResourceReport, parseResourceReport, ReportBudget } from './page-reports.ts';
import { browserNotificationSink, Notifier } from './notifier.ts';
import type { PageView } from './page-view.ts';
import { RequestWatcher, type PageResource, type RequestEvent } from './request-watcher.ts';
import { SessionMirror } from './session-mirror.ts';
import { DEFAULT_LOG_LIMITS, shouldLog } from './site-log.ts';
import { SiteLogStore } from './site-log-store.ts';
import { TabTracker, type TabState } from './tab-tracker.ts';
import { UnattributedLog } from './unattributed-log.ts';
import type { DnrApi } from './protection/dnr-sync.ts';
import type { BeforeRequest } from './protection/firefox-blocker.ts';
import { Protection } from './protection/protection.ts';

// The background service worker (Chrome) / event page (Firefox). Listeners
// are registered synchronously at the top level, so an event that wakes a
// stopped worker is delivered; every one of them waits for `ready` (table
// loaded, settings read, tab state restored) and then runs through one queue,
// in the order the browser sent them.

const EMPTY_LIST: FlaggedList = { operators: [], asns: [], domains: [] };
/** Until the bundled data is in (and if part of it cannot be read): nothing flagged by that part. */
let data: EngineData = { list: EMPTY_LIST, table: IpTable.fromRanges([], []) };
/** The data the extension ships, kept for when a data update is turned off. */
let shippedData: EngineData = data;
/** Why the bundled data could not be read, for the popup; null when it was. */
let shippedDataError: string | null = null;
let dataLoadedMs = 0;
/** When restoring a stored data update began (0: none was stored), for the benchmark. */
let restoreStartMs = 0;

/**
 * The shipped data, and a data update stored earlier if there is one (it wins: it was verified
 * when it was applied, see stored-bundle.ts). The list was checked when the extension was
 * built; only the table file can fail here.
 */
async function loadData(): Promise<AppliedData | null> {
  const list = bundledList();
  const [file, stored] = await Promise.all([early.table, early.local]);
  try {
    if (!file.ok) throw file.error;
    shippedData = { list, table: bundledTable(file.value) };
  } catch (error) {
    shippedData = { list, table: data.table };
    shippedDataError = `IP table: ${String(error)}`;
    console.error('Carrier Watch: the bundled IP table is unreadable, flagging by domain only:', shippedDataError);
  }
  data = shippedData;
  let applied: AppliedData | null = null;
  const record = stored.ok ? stored.value[STORED_BUNDLE_KEY] : undefined;
  if (record !== undefined) {
    restoreStartMs = performance.now();
    const restored = restoreStoredBundle(record, BUNDLED_DATA_VERSION);
    if (restored.ok) {
      applied = restored.data;
      data = { list: applied.list, table: applied.table };
      protection.dataChanged('dynamic');
    } else {
      console.warn(`Carrier Watch: ${restored.reason}; using the data this version ships`);
      void localArea.remove(STORED_BUNDLE_KEY).catch(() => undefined);
    }
  }
  dataLoadedMs = performance.now();
  return applied;
}

const dataError = (): string | null => (updater.inUse ? null : shippedDataError);
/** The user's own settings as stored; `settings` is what applies: these with the organisation's over them. */
let userSettings: Settings = DEFAULT_SETTINGS;
let managed: ManagedReading = NO_MANAGED_POLICY;
let settings: Settings = DEFAULT_SETTINGS;
let classifier: Classifier = createClassifier(data, classifierOptions(settings));

const siteOfUrl = (url: string): string => {
  const host = hostOfUrl(url);
  return host.ok ? siteOf(host.host) : '';
};

const tracker = new TabTracker(siteOfUrl);
const privateTabs = new Set<number>();
const mirror = new SessionMirror<TabState>(sessionArea, 'tab:', (key) => tracker.tab(Number(key)));
const siteLog = new SiteLogStore(localArea, () => ({ ...DEFAULT_LOG_LIMITS, retentionDays: settings.logRetentionDays }), 1000);
const badges = new BadgeScheduler(toolbarBadge, (tabId) => badgeFor(tracker.tab(tabId)?.current));
const unattributed = new UnattributedLog();
const reportBudget = new ReportBudget();
const notifier = new Notifier(browserNotificationSink(browser), localArea, (key, subs) => browser.i18n.getMessage(key, subs));

function isShown(tabId: number, view: PageView): boolean {
  const state = tracker.tab(tabId);
  return state !== undefined && (state.current === view || state.recent.includes(view));
}

/** Private windows never reach the disk; allowlisted sites are not logged. */
function logVisit(tabId: number, view: PageView): void {
  if (shouldLog(view, privateTabs.has(tabId))) siteLog.record(view);
}

const ipCache = new HostIpCache();
/** Chrome blocks with declarativeNetRequest; Firefox's build has no such permission and blocks in onBeforeRequest. */
const dnr = (globalThis as { chrome?: { declarativeNetRequest?: DnrApi } }).chrome?.declarativeNetRequest;
const chromeDnr = typeof dnr?.updateDynamicRules === 'function' ? dnr : undefined;
const blockedPageUrl = browser.runtime.getURL('src/blocked/index.html');
// Never a look-up while a proxy resolves names: it would go around the proxy.
const resolver = firefoxResolver(() => !protection.domainOnly);
const protection: Protection = new Protection({
  classifier: () => classifier,
  list: () => data.list,
  local: localArea,
  blockedPageUrl,
  dnr: chromeDnr,
  resolver,
});
const watcher = new RequestWatcher({
  tracker,
  classifier: () => classifier,
  ipCache,
  resolver,
  onAddress(host: string, ip: string, classification: Classification, event: RequestEvent) {
    protection.onAddress(host, ip, classification, event.tabId >= 0 && privateTabs.has(event.tabId));
  },
  onChange({ tabId, view }, { flagged, isNewEndpoint, badgeChanged }) {
    // What the badge shows is written promptly; a count can wait (seconds, well inside
    // the 30 s a browser leaves an idle worker running).
    mirror.changed(String(tabId), !badgeChanged);
    if (!flagged || !isShown(tabId, view)) return; // only a counter moved; or not on screen yet (a navigation, a prerender)
    if (badgeChanged && tracker.tab(tabId)?.current === view) badges.request(tabId);
    if (isNewEndpoint && tracker.tab(tabId)?.current === view) {
      const endpoint = view.endpoints[view.endpoints.length - 1];
      if (endpoint) void notifier.onNewEndpoint(tabId, view, endpoint, settings, { isPrivate: privateTabs.has(tabId) });
    }
    logVisit(tabId, view);
  },
  onUnattributed: (origin, event) => unattributed.add(origin, event.url, event.time),
});

const updater: DataUpdater = new DataUpdater({
  local: localArea,
  fetch: (input, init) => fetch(input, init),
  now: Date.now,
  key: TRUSTED_BUNDLE_KEY,
  bundledVersion: BUNDLED_DATA_VERSION,
  // Firefox's storage.local is structured clone (runtime.getBrowserInfo is Firefox's alone).
  binaryStorage: 'getBrowserInfo' in browser.runtime,
  current: () => ({ version: updater.inUse?.version ?? BUNDLED_DATA_VERSION, list: data.list, table: data.table }),
  settings: () => settings.dataUpdates,
  managed: () => ({ enabled: isLocked(managed, 'dataUpdates'), url: managed.keys.includes('dataUpdateUrl') }),
  // In the event queue, so no request is judged halfway through the swap.
  apply: (next) =>
    new Promise<void>((resolve) =>
      enqueue(() => {
        data = next ? { list: next.list, table: next.table } : shippedData;
        protection.dataChanged(next ? 'dynamic' : 'static');
        recompute();
        resolve();
      }),
    ),
});
/** A worker start's check waits this long, so it never competes with the page that woke the worker. */
const START_CHECK_DELAY_MS = 5000;

function applySettings(raw: unknown): void {
  const parsed = parseSettings(raw);
  if (parsed.ok) userSettings = parsed.value;
  // Rejected: keep the last good settings (the defaults at start); the options page shows the problems.
  else console.warn('Carrier Watch: stored settings rejected, keeping the previous ones:', parsed.errors);
  recompute();
}

/** storage.local key of the last policy read, applied at start while the browser's answer is pending. */
const MANAGED_CACHE_KEY = 'managedPolicy';
let managedSeen = '{}';

/**
 * The organisation's settings (storage.managed), as the browser answered: each bad value is
 * set aside on its own, the rest apply. Firefox rejects the read when no policy is installed:
 * that is "nothing managed".
 */
function applyManaged(read: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
  const raw = read.ok && read.value !== null && typeof read.value === 'object' ? read.value : {};
  managed = parseManagedPolicy(raw);
  if (managed.problems.length > 0) console.warn('Carrier Watch: managed settings ignored:', managed.problems);
  recompute();
  const seen = JSON.stringify(raw);
  if (seen === managedSeen) return;
  managedSeen = seen;
  const write = Object.keys(raw).length === 0 ? localArea.remove(MANAGED_CACHE_KEY) : localArea.set({ [MANAGED_CACHE_KEY]: raw });
  void write.catch((error: unknown) => console.warn('Carrier Watch: could not remember the managed settings:', error));
}

function readManaged(): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  return browser.storage.managed.get(null).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Settings changed (the user's or the organisation's): verdicts, blocking and badges follow at once. */
function recompute(): void {
  const updatesBefore = settings.dataUpdates;
  settings = applyManagedPolicy(userSettings, managed.policy);
  // After start-up (which decides itself, see ready): turned on, off or pointed elsewhere.
  const updates = settings.dataUpdates;
  if (isReady && (updates.enabled !== updatesBefore.enabled || updates.url !== updatesBefore.url)) void updater.settingsChanged(updatesBefore);
  classifier = createClassifier(data, classifierOptions(settings));
  void protection.update(new ProtectionPolicy(settings));
  for (const state of tracker.allTabs()) {
    const view = state.current;
    if (!view) continue;
    const host = hostOfUrl(view.url);
    view.allowlisted = host.ok && classifier.isAllowlisted(host.host);
    mirror.changed(String(state.tabId));
    void badges.flush(state.tabId);
  }
}

/**
 * Set in storage.session once the background has started: that area outlives
 * a stopped worker but not an install, update, reload or browser restart, so
 * finding it empty means this is a fresh start and pages already loading were
 * partly missed.
 */
const STARTED_KEY = 'started';
/** Set in storage.session once a response came through a proxy that resolves names (Firefox). */
const PROXY_KEY = 'proxyResolvesNames';

let storageReadMs = 0;
const ready: Promise<void> = (async () => {
  // The reads were started by early-start.ts, before this script was evaluated.
  const applied = await loadData();
  const [stored, saved, tabs] = await Promise.all([early.local, early.session, early.tabs]);
  updater.restore(applied, stored.ok ? stored.value[UPDATE_STATE_KEY] : undefined);
  storageReadMs = performance.now();
  if (!stored.ok) console.error('Carrier Watch: could not read the settings, using the defaults:', stored.error);
  // The policy last seen, until the browser answers (see early-start.ts): blocking an
  // organisation set up holds from the first request, not 3 s later.
  managedSeen = stored.ok ? JSON.stringify(stored.value[MANAGED_CACHE_KEY] ?? {}) : '{}';
  managed = parseManagedPolicy(stored.ok ? stored.value[MANAGED_CACHE_KEY] : undefined);
  if (stored.ok) protection.restore(stored.value[LEARNED_KEY]);
  for (const learned of protection.learned.list()) ipCache.set(learned.host, learned.ip);
  if (saved.ok && saved.value[PROXY_KEY] === true) protection.domainOnly = true;
  // Every start, not only install: the enabled rulesets can reset on update, and settings may
  // have changed while the worker was stopped (recompute applies the rules).
  applySettings(stored.ok ? stored.value['settings'] : undefined);
  // Off: back to the shipped data at once. On: a check if the last is a day old, a little later.
  if (!settings.dataUpdates.enabled) void updater.settingsChanged(null);
  else setTimeout(() => void updater.checkIfDue(), START_CHECK_DELAY_MS);
  if (!tabs.ok || !saved.ok) {
    // Start with what we have rather than not at all.
    console.error('Carrier Watch: could not restore tab state:', tabs.ok ? (saved.ok ? '' : saved.error) : tabs.error);
    return;
  }
  const open = new Set<number>();
  for (const tab of tabs.value) {
    if (tab.id === undefined) continue;
    open.add(tab.id);
    if (tab.incognito) privateTabs.add(tab.id);
  }
  for (const [key, state] of mirror.entriesOf(saved.value)) {
    if (!open.has(Number(key))) {
      mirror.deleted(key); // closed while the worker was stopped
      continue;
    }
    tracker.restore(state as TabState);
    rememberIps(state as TabState);
  }
  if (!(STARTED_KEY in saved.value)) {
    const now = Date.now();
    for (const tab of tabs.value) {
      if (tab.id === undefined || tab.status !== 'loading' || !tab.url || !/^https?:/.test(tab.url)) continue;
      tracker.startedWhileLoading(tab.id, tab.url, now, tab.incognito);
      mirror.changed(String(tab.id));
    }
    void sessionArea.set({ [STARTED_KEY]: now }).catch(() => undefined);
  }
})();

/** A restarted worker's host → IP memory comes back from the endpoints it had, so cache hits keep their IP. */
function rememberIps(state: TabState): void {
  for (const view of [state.current, ...state.recent]) {
    for (const e of view?.endpoints ?? []) if (e.ipSource === 'response' && e.ips[0] !== undefined) ipCache.set(e.host, e.ips[0]);
  }
}

let isReady = false;
void ready.then(() => (isReady = true));
// The browser's own answer, whenever it comes, after what start-up applied.
void ready.then(() => early.managed).then((read) => enqueue(() => applyManaged(read)));
/** The tail of asynchronous work still running, if any (Firefox's DNS look-ups, badge writes). */
let pending: Promise<void> | null = null;

/**
 * Runs `task` after `ready` and after every event before it, in order; an
 * error in one never stops the next. Once ready and with nothing pending (the
 * usual case in Chrome, where handling a request is synchronous) it runs at
 * once: no promise per request.
 */
function enqueue(task: () => unknown): void {
  if (isReady && pending === null) {
    try {
      const result = task();
      if (result instanceof Promise) pending = settle(result);
    } catch (error) {
      console.error('Carrier Watch:', error);
    }
    return;
  }
  pending = settle((pending ?? ready).then(task));
}

function settle(work: Promise<unknown>): Promise<void> {
  const tail: Promise<void> = work.then(
    () => undefined,
    (error: unknown) => console.error('Carrier Watch:', error),
  ).then(() => {
    if (pending === tail) pending = null;
  });
  return tail;
}

// ---- webRequest: every http(s) and ws(s) request ----

type AnyRequestDetails =
  | WebRequest.OnBeforeRedirectDetailsType
  | WebRequest.OnResponseStartedDetailsType
  | WebRequest.OnErrorOccurredDetailsType;

/** Fields one browser has and the other lacks (Chrome: documentId…, Firefox: documentUrl…). */
interface BrowserSpecificDetails {
  error?: string;
  redirectUrl?: string;
  proxyInfo?: { type?: string; proxyDNS?: boolean } | null;
  ip?: string;
  fromCache?: boolean;
  documentId?: string;
  documentLifecycle?: string;
  initiator?: string;
  originUrl?: string;
  documentUrl?: string;
  incognito?: boolean;
}

/**
 * How late request events reach this worker (now − the browser's timestamp),
 * the last 512 of them: read by the benchmark (globalThis.__carrierWatchStats)
 * to tell the browser's dispatch delay from the badge's batching.
 */
const dispatchLagMs = new Float32Array(512);
let eventsSeen = 0;
Object.assign(globalThis, {
  __carrierWatchStats: { dispatchLagMs, events: () => eventsSeen, blocker: () => protection.blocker?.stats ?? null, dataUpdate: () => ({ ...updater.timings }) },
});

function onRequest(kind: RequestEvent['kind'], details: AnyRequestDetails): void {
  const d = details as AnyRequestDetails & BrowserSpecificDetails;
  dispatchLagMs[eventsSeen++ % dispatchLagMs.length] = Date.now() - d.timeStamp;
  enqueue(() => {
    if (d.incognito && d.tabId >= 0) privateTabs.add(d.tabId);
    if (kind === 'response' && protection.onProxyInfo(d.proxyInfo)) {
      console.warn('Carrier Watch: a proxy resolves host names; blocking by domain only, no DNS look-ups');
      void sessionArea.set({ [PROXY_KEY]: true }).catch(() => undefined);
    }
    const blocked = protection.isBlocked({ kind, requestId: d.requestId, error: d.error, redirectUrl: d.redirectUrl });
    return watcher.handle({
      kind,
      requestId: d.requestId,
      url: d.url,
      tabId: d.tabId,
      frameId: d.frameId,
      type: d.type,
      ip: d.ip ?? null,
      fromCache: d.fromCache ?? false,
      time: d.timeStamp,
      documentId: d.documentId,
      documentLifecycle: d.documentLifecycle,
      initiator: d.initiator ?? d.originUrl,
      documentUrl: d.documentUrl,
      method: d.method,
      blocked,
      // A blocked request carries no IP: a learned host's is the one that taught it.
      ...(blocked && d.ip === undefined ? { ip: protection.learnedIp(hostOfUrlOrEmpty(d.url)) ?? null } : {}),
    });
  });
}

function hostOfUrlOrEmpty(url: string): string {
  const host = hostOfUrl(url);
  return host.ok ? host.host : '';
}

// One event per request hop: onResponseStarted fires for every response,
// cache hits included, so onCompleted would only double the work (each event
// is a message to this worker while the page loads).
const filter: WebRequest.RequestFilter = { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] };
browser.webRequest.onBeforeRedirect.addListener((d) => onRequest('redirect', d), filter);
browser.webRequest.onResponseStarted.addListener((d) => onRequest('response', d), filter);
browser.webRequest.onErrorOccurred.addListener((d) => onRequest('error', d), filter);

// ---- Firefox: blocking, before the connection ----

// Registered at the top level, so it is in place when a request wakes the event page; it
// answers at once (no promise) unless a host's address must be looked up. Chrome blocks with
// declarativeNetRequest rules instead and has no blocking webRequest in MV3.
const blocker = protection.blocker;
if (blocker) {
  browser.webRequest.onBeforeRequest.addListener(
    (details) => {
      const request = details as unknown as BeforeRequest;
      // The request that woke the event page (and those right after it) wait for the settings:
      // a few milliseconds, and the only way blocking holds across a restart.
      const answer = isReady ? blocker.handle(request) : ready.then(() => blocker.handle(request), () => undefined);
      // The polyfill's type wants a response object; "let it go" is undefined in Firefox's API.
      return answer as WebRequest.BlockingResponseOrPromiseOrVoid;
    },
    filter,
    ['blocking'],
  );
}

// ---- webNavigation: when a page view starts ----

interface ChromeNavigationFields {
  documentId?: string;
  documentLifecycle?: string;
  frameType?: string;
}

browser.webNavigation.onCommitted.addListener((details) => {
  const d = details as WebNavigation.OnCommittedDetailsType & ChromeNavigationFields;
  const prerender = d.documentLifecycle === 'prerender' && d.frameType === 'outermost_frame';
  if (d.frameId !== 0 && !prerender) return; // a subframe: part of the page view it is in
  enqueue(() => {
    if (!prerender) protection.committed(d.tabId, d.url);
    const view = tracker.commit({
      tabId: d.tabId,
      url: d.url,
      site: siteOfUrl(d.url),
      time: d.timeStamp,
      documentId: d.documentId,
      forwardBack: d.transitionQualifiers.includes('forward_back'),
      prerender,
    });
    mirror.changed(String(d.tabId));
    if (prerender) return;
    const host = hostOfUrl(d.url);
    view.allowlisted = host.ok && classifier.isAllowlisted(host.host);
    badges.forget(d.tabId);
    reportBudget.forgetTab(d.tabId);
    logVisit(d.tabId, view);
    // A navigation's own contacts (redirect hops, the page itself) arrive before its commit.
    if (view.endpoints.length > 0) void notifier.onPageShown(d.tabId, view, settings, { isPrivate: privateTabs.has(d.tabId) });
    // Now, so the old count goes at once; and once more shortly after, because the browser's own
    // reset of the tab's badge on navigation can land after this write (seen in Firefox).
    const shown = badges.flush(d.tabId);
    badges.request(d.tabId);
    return shown;
  });
});

function onSameDocument(details: { tabId: number; frameId: number; url: string }): void {
  if (details.frameId !== 0) return;
  enqueue(() => {
    if (tracker.sameDocument(details.tabId, details.url)) mirror.changed(String(details.tabId));
  });
}
browser.webNavigation.onHistoryStateUpdated.addListener(onSameDocument);
browser.webNavigation.onReferenceFragmentUpdated.addListener(onSameDocument);

// ---- tabs ----

browser.tabs.onCreated.addListener((tab) => {
  if (tab.id !== undefined && tab.incognito) privateTabs.add(tab.id);
});

browser.tabs.onRemoved.addListener((tabId) => {
  enqueue(() => {
    tracker.removeTab(tabId);
    watcher.forgetTab(tabId);
    reportBudget.forgetTab(tabId);
    badges.forget(tabId);
    privateTabs.delete(tabId);
    protection.tabRemoved(tabId);
    mirror.deleted(String(tabId));
  });
});

browser.tabs.onReplaced.addListener((addedTabId, removedTabId) => {
  enqueue(() => {
    tracker.replaced(addedTabId, removedTabId);
    mirror.deleted(String(removedTabId));
    mirror.changed(String(addedTabId));
    return badges.flush(addedTabId);
  });
});

// ---- settings and the popup ----

browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && 'settings' in changes) enqueue(() => applySettings(changes['settings']?.newValue));
  // A policy changed while the browser runs: read it whole (a change lists only the keys that moved).
  if (area === 'managed') enqueue(() => readManaged().then(applyManaged));
});

// ---- what the content script reports: resources served from a cache ----

/** Chrome's sender has the sending document's id and lifecycle; the polyfill's type does not list them. */
type Sender = Runtime.MessageSender & { documentId?: string; documentLifecycle?: string };

let refusedReports = 0;

/**
 * A frame's report of the resources it used. Untrusted: the tab and frame are
 * the browser's `sender`, the message is checked (page-reports.ts), and each
 * frame's document has a budget. Each resource then counts as a cache hit on
 * that page view unless webRequest already counted its host there.
 */
function onResourceReport(message: unknown, sender: Sender): void {
  const tabId = sender.tab?.id;
  const frameId = sender.frameId;
  if (tabId === undefined || tabId < 0 || frameId === undefined) return;
  const parsed = parseResourceReport(message);
  if (!parsed.ok) {
    // Only a forged message gets here; say so once in a while, never per message.
    if (refusedReports++ % 100 === 0) console.warn(`Carrier Watch: refused a resource report from tab ${tabId}: ${parsed.reason}`);
    return;
  }
  const admitted = reportBudget.admit(tabId, `${frameId}:${sender.documentId ?? sender.url ?? ''}`, parsed.resources);
  if (admitted.length === 0) return;
  const resources: PageResource[] = admitted.map(({ host, type, endedAt }) => ({
    tabId, frameId, documentId: sender.documentId, documentLifecycle: sender.documentLifecycle, frameUrl: sender.url ?? null, host, type, time: endedAt,
  }));
  enqueue(() => {
    if (sender.tab?.incognito) privateTabs.add(tabId);
    return inOrder(resources, (resource) => watcher.handleCached(resource));
  });
}

/** Runs `task` on each item in turn; synchronous while every task is (Chrome), a promise once one is not (Firefox's DNS). */
function inOrder<T>(items: readonly T[], task: (item: T) => void | Promise<void>): void | Promise<void> {
  for (let i = 0; i < items.length; i++) {
    const result = task(items[i]!);
    if (result instanceof Promise) {
      return result.then(async () => {
        for (const item of items.slice(i + 1)) await task(item);
      });
    }
  }
}

const extensionPageOrigin = browser.runtime.getURL('');

function isBlockedPageMessage(message: unknown): boolean {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'explain-block' || type === 'continue-once';
}

browser.runtime.onMessage.addListener((message: unknown, sender: Sender) => {
  if (isResourceReport(message)) {
    onResourceReport(message, sender);
    return undefined;
  }
  // Everything else is for the extension's own pages: a web page's content script may not read or clear anything.
  if (!isFromExtensionPage(sender.url, extensionPageOrigin)) return undefined;
  // The explanation page is web-accessible, so a site could frame it: only a top-level copy may
  // ask about a block or grant its tab a pass (no clickjacked "Continue once").
  if (isBlockedPageMessage(message) && sender.frameId !== 0) return undefined;
  return handleMessage(message, {
    ready, tracker, siteLog, mirror, unattributed, settings: () => settings, dataError, isPrivate: (tabId) => privateTabs.has(tabId),
    protection: (tabId) => protection.status(tracker.tab(tabId)?.current?.url ?? null, isLocked(managed, 'protection')),
    explainBlock: (url) => protection.explain(url, (host) => ipCache.get(host)),
    continueOnce: (url) => protection.continueOnce(sender.tab?.id, url),
    clearLearned: () => protection.clearLearned(),
    dataStatus: () => updater.status(),
    checkDataNow: () => updater.check(),
  });
});

void ready.then(() => {
  // Lets the end-to-end harness wait for the listeners before the first page, and the
  // benchmark read the cold start: a worker's performance.now() counts from the worker's start.
  Object.assign(globalThis, {
    __carrierWatchReady: true,
    __carrierWatchStartup: { scriptStartMs, dataLoadedMs, storageReadMs, readyMs: performance.now(), tabsRestored: tracker.size, tableArrivedMs: arrivedMs['table'] ?? 0, localArrivedMs: arrivedMs['local'] ?? 0, restoreStartMs },
  });
});
