import { REPORT_LIMITS, REPORT_MESSAGE_TYPE, type ResourceReportMessage } from './report-protocol.ts';

// Runs in every frame at document_start. A resource served from the memory,
// image, preload or service-worker cache fires no webRequest event, yet the
// page used it: Resource Timing lists it. Firefox's image cache leaves no
// Resource Timing entry either, so image loads without one are watched too.
// This sends the background each (host, initiator type) pair once per
// document, in small batches; the background drops what webRequest already
// counted. It reads resource URLs only: no page content, no cookies, nothing
// else of the DOM.
//
// Its cost is messages to the background (see npm run bench), so it sends
// less: nothing for a resource that visibly came over the network (a
// transfer size, which Resource Timing shows where the server allows it),
// and while the frame is loading, one batch a second at most.

interface RuntimeApi {
  sendMessage(message: ResourceReportMessage): Promise<unknown>;
}
const runtime = ((globalThis as { browser?: { runtime: RuntimeApi } }).browser ?? (globalThis as unknown as { chrome: { runtime: RuntimeApi } }).chrome).runtime;

/** After the frame has loaded: soon enough for the badge. */
const BATCH_MS = 100;
/** While it loads: out of the way of the page's own work, yet the badge still fills in during a long load. */
const LOADING_BATCH_MS = 1000;

const sent = new Set<string>();
let queue: ResourceReportMessage['resources'] = [];
let timer: ReturnType<typeof setTimeout> | undefined;

function note(url: string, initiatorType: string, endedAt: number): void {
  // http(s) only: data: and blob: resources reach no server.
  if (!url.startsWith('http') || sent.size >= REPORT_LIMITS.hostsPerFrame) return;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return;
  }
  const key = `${initiatorType} ${host}`;
  if (sent.has(key)) return;
  sent.add(key);
  queue.push([host, initiatorType, Math.round(endedAt)]);
  if (queue.length >= REPORT_LIMITS.entriesPerMessage) flush();
  else timer ??= setTimeout(flush, document.readyState === 'complete' ? BATCH_MS : LOADING_BATCH_MS);
}

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (queue.length === 0) return;
  const message: ResourceReportMessage = { type: REPORT_MESSAGE_TYPE, resources: queue };
  queue = [];
  try {
    // No answer is expected; a failure (the extension was updated or removed under the page) loses only this report.
    runtime.sendMessage(message).catch(() => undefined);
  } catch {
    // The extension context is gone.
  }
}

new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
    // Bytes came over the network: webRequest saw this one. (Cross-origin without
    // Timing-Allow-Origin it reads 0 either way, and is reported.)
    if (entry.transferSize > 0) continue;
    note(entry.name, entry.initiatorType, performance.timeOrigin + entry.responseEnd);
  }
}).observe({ type: 'resource', buffered: true });

// Capture phase: an image's load event does not bubble.
document.addEventListener(
  'load',
  (event) => {
    const target = event.target;
    if (!(target instanceof HTMLImageElement)) return;
    const url = target.currentSrc || target.src;
    // Resource Timing has it (the observer decides): only an image without an entry needs this.
    if (performance.getEntriesByName(url, 'resource').length === 0) note(url, 'img', Date.now());
  },
  { capture: true, passive: true },
);

// Loaded: what is waiting goes now. Going away: a report still waiting is sent, not lost.
addEventListener('load', () => setTimeout(flush, 0), { once: true });
addEventListener('pagehide', flush, { capture: true });
