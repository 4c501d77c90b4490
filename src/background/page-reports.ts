import { normalizeHost } from '../engine/host.ts';
import { REPORT_LIMITS, REPORT_MESSAGE_TYPE } from '../content/report-protocol.ts';

// What the content script reports: the hosts of resources a frame used,
// among them those served from a cache that fire no webRequest event. Its
// messages are untrusted input (a compromised page process can send
// anything), so this checks their shape and size, keeps only host names the
// engine can parse, and bounds what one frame can add. The tab and frame come
// from the browser's `sender`, never from the message: a page cannot report
// for another tab.

export interface ReportedResource {
  host: string;
  /** As a webRequest type (script, image, ...), mapped from Resource Timing's initiatorType. */
  type: string;
  /** When it finished loading, as the page says (ms since the epoch). */
  endedAt: number;
}

export type ParsedReport = { ok: true; resources: ReportedResource[] } | { ok: false; reason: string };

/** Resource Timing's initiatorType → the webRequest type the popup words; anything else is "other". */
const TYPE_OF_INITIATOR: Readonly<Record<string, string>> = {
  script: 'script',
  img: 'image',
  image: 'image',
  input: 'image',
  link: 'stylesheet',
  iframe: 'sub_frame',
  frame: 'sub_frame',
  fetch: 'xmlhttprequest',
  xmlhttprequest: 'xmlhttprequest',
  beacon: 'ping',
  audio: 'media',
  video: 'media',
  track: 'media',
  object: 'object',
  embed: 'object',
};

export function isResourceReport(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === REPORT_MESSAGE_TYPE;
}

/** How far a page's clock may be from ours before its `endedAt` is taken for "now". */
const CLOCK_SLACK_MS = 10 * 60_000;

/** The resources of a report message, or why it was refused (then nothing of it counts). */
export function parseResourceReport(message: unknown, now: number = Date.now()): ParsedReport {
  const entries = (message as { resources?: unknown }).resources;
  if (!Array.isArray(entries)) return { ok: false, reason: 'resources is not a list' };
  if (entries.length > REPORT_LIMITS.entriesPerMessage) return { ok: false, reason: `more than ${REPORT_LIMITS.entriesPerMessage} entries` };
  const resources: ReportedResource[] = [];
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 3) return { ok: false, reason: 'an entry is not [host, initiatorType, endedAt]' };
    const [host, initiator, endedAt] = entry as unknown[];
    if (typeof host !== 'string' || typeof initiator !== 'string' || typeof endedAt !== 'number') return { ok: false, reason: 'an entry is not [string, string, number]' };
    // 253 is the longest DNS name; the check comes before parsing so a huge string costs nothing.
    if (host.length > 253 || initiator.length > 32) return { ok: false, reason: 'an entry is too long' };
    const parsed = normalizeHost(host);
    if (!parsed.ok) continue; // not a host name: ignored, the rest still counts
    // Only the page's own view of time: a time far off (or not a number) becomes "now".
    const time = Number.isFinite(endedAt) && Math.abs(endedAt - now) < CLOCK_SLACK_MS ? endedAt : now;
    resources.push({ host: parsed.host, type: TYPE_OF_INITIATOR[initiator] ?? 'other', endedAt: time });
  }
  return { ok: true, resources };
}

/**
 * How much each frame may still report in its current document: at most
 * `hostsPerFrame` distinct (host, type) pairs and `messagesPerFrame` messages.
 * The content script sends each pair once, so an honest frame never reaches
 * either; past them a frame's reports are dropped. Forgotten per tab on each
 * top-level navigation and when the tab closes; bounded in frames per tab.
 */
export class ReportBudget {
  private readonly frames = new Map<number, Map<string, { pairs: Set<string>; messages: number }>>();

  constructor(
    private readonly hostsPerFrame: number = REPORT_LIMITS.hostsPerFrame,
    private readonly messagesPerFrame: number = REPORT_LIMITS.messagesPerFrame,
    private readonly framesPerTab: number = REPORT_LIMITS.framesPerTab,
  ) {}

  /** The resources of this message that are new and within the frame's budget; [] once it is spent. */
  admit(tabId: number, frameKey: string, resources: readonly ReportedResource[]): ReportedResource[] {
    let tab = this.frames.get(tabId);
    if (!tab) this.frames.set(tabId, (tab = new Map()));
    let frame = tab.get(frameKey);
    if (!frame) {
      if (tab.size >= this.framesPerTab) return [];
      tab.set(frameKey, (frame = { pairs: new Set(), messages: 0 }));
    }
    if (++frame.messages > this.messagesPerFrame) return [];
    const admitted: ReportedResource[] = [];
    for (const resource of resources) {
      const key = `${resource.type} ${resource.host}`;
      if (frame.pairs.has(key)) continue;
      if (frame.pairs.size >= this.hostsPerFrame) break;
      frame.pairs.add(key);
      admitted.push(resource);
    }
    return admitted;
  }

  /** The tab navigated or closed: its frames' documents are gone. */
  forgetTab(tabId: number): void {
    this.frames.delete(tabId);
  }
}
