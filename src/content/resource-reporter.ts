import { REPORT_LIMITS, REPORT_MESSAGE_TYPE, type ResourceReportMessage } from './report-protocol.ts';

// Runs in every frame at document_start. A resource served from the memory,
// image, preload or service-worker cache fires no webRequest event, yet the
// page used it: Resource Timing lists it. Firefox's image cache leaves no
// Resource Timing entry either, so image loads are watched too. This sends
// the background each (host, initiator type) pair once per document, in small
// batches; the background drops what webRequest already counted. It reads
// resource URLs only: no page content, no cookies, nothing else of the DOM.

interface RuntimeApi {
  sendMessage(message: ResourceReportMessage): Promise<unknown>;
}
const runtime = ((globalThis as { browser?: { runtime: RuntimeApi } }).browser ?? (globalThis as unknown as { chrome: { runtime: RuntimeApi } }).chrome).runtime;

/** Soon enough for the badge, few enough messages for a page of many resources. */
const BATCH_MS = 100;

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
  else timer ??= setTimeout(flush, BATCH_MS);
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
  for (const entry of list.getEntries() as PerformanceResourceTiming[]) note(entry.name, entry.initiatorType, performance.timeOrigin + entry.responseEnd);
}).observe({ type: 'resource', buffered: true });

// Capture phase: an image's load event does not bubble.
document.addEventListener(
  'load',
  (event) => {
    const target = event.target;
    if (target instanceof HTMLImageElement) note(target.currentSrc || target.src, 'img', Date.now());
  },
  { capture: true, passive: true },
);

// A report still waiting when the page goes away is sent, not lost.
addEventListener('pagehide', flush, { capture: true });
