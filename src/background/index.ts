import browser, { type WebRequest } from 'webextension-polyfill';
import type { Classifier } from '../engine/classifier.ts';
import { classifierOptions, DEFAULT_SETTINGS, parseSettings } from '../engine/settings.ts';
import { createClassifier } from '../data/engine-data.ts';
import { loadBundledEngineData } from '../data/bundled.ts';

// Minimal background for the foundation: it loads the engine, classifies
// every response and error by host and server IP, and shows per tab how many
// distinct flagged endpoints (host + operator) the page has contacted. The
// full watcher (page views, redirects, workers, cache, persistence) replaces
// this in the background issue.

const data = loadBundledEngineData();
let classifier: Classifier = createClassifier(data, classifierOptions(DEFAULT_SETTINGS));

/** Per tab: endpoint key "host|operator" → operator name. */
const endpointsByTab = new Map<number, Map<string, string>>();

async function applySettings(raw: unknown): Promise<void> {
  const parsed = parseSettings(raw);
  if (!parsed.ok) {
    // Keep the last good classifier; the options page reports the problems.
    console.warn('Carrier Watch: stored settings rejected, keeping the previous ones:', parsed.errors);
    return;
  }
  classifier = createClassifier(data, classifierOptions(parsed.value));
}

const ready: Promise<void> = browser.storage.local.get('settings').then((stored) => applySettings(stored['settings']));

async function showBadge(tabId: number): Promise<void> {
  const endpoints = endpointsByTab.get(tabId);
  const count = endpoints?.size ?? 0;
  const perOperator = new Map<string, number>();
  for (const name of endpoints?.values() ?? []) perOperator.set(name, (perOperator.get(name) ?? 0) + 1);
  const title = count === 0 ? 'Carrier Watch' : [...perOperator].map(([name, n]) => `${name}: ${n}`).join(', ');
  try {
    await browser.action.setBadgeBackgroundColor({ tabId, color: '#c62828' });
    await browser.action.setBadgeText({ tabId, text: count === 0 ? '' : String(count) });
    await browser.action.setTitle({ tabId, title });
  } catch {
    // The tab closed or was replaced between the request and now: nothing to show.
  }
}

type Details = WebRequest.OnResponseStartedDetailsType | WebRequest.OnErrorOccurredDetailsType;

async function onRequestSeen(details: Details): Promise<void> {
  await ready;
  if (details.tabId < 0) return;
  if (details.type === 'main_frame' && details.frameId === 0) endpointsByTab.delete(details.tabId);
  const ip = 'ip' in details ? (details.ip ?? null) : null;
  const result = classifier.classify({ url: details.url, ip });
  if (!result.flagged || result.operatorId === null || result.host === null) return;
  let endpoints = endpointsByTab.get(details.tabId);
  if (!endpoints) endpointsByTab.set(details.tabId, (endpoints = new Map()));
  endpoints.set(`${result.host}|${result.operatorId}`, result.operator ?? result.operatorId);
  await showBadge(details.tabId);
}

const filter: WebRequest.RequestFilter = { urls: ['<all_urls>'] };
browser.webRequest.onResponseStarted.addListener((d) => void onRequestSeen(d), filter);
browser.webRequest.onErrorOccurred.addListener((d) => void onRequestSeen(d), filter);
browser.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && 'settings' in changes) void applySettings(changes['settings']?.newValue);
});
browser.runtime.onMessage.addListener((message: unknown) => {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, tabId } = message as { type?: unknown; tabId?: unknown };
  if (type === 'ping') return ready.then(() => ({ ready: true }));
  if (type === 'tab-endpoints' && typeof tabId === 'number') {
    return ready.then(() => [...(endpointsByTab.get(tabId)?.keys() ?? [])]);
  }
  return undefined;
});

void ready.then(() => {
  // Lets the end-to-end harness wait for the listeners before the first page.
  (globalThis as { __carrierWatchReady?: boolean }).__carrierWatchReady = true;
});
