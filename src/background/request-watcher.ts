import type { Classification, Classifier } from '../engine/classifier.ts';
import { hostOfUrl } from '../engine/host.ts';
import { partyOf } from '../engine/party.ts';
import type { HostIpCache } from './host-ip-cache.ts';
import { recordContact, type PageView } from './page-view.ts';
import type { Attribution, TabTracker } from './tab-tracker.ts';

// Turns webRequest events into contacts on page views. Each request hop is
// counted once, at the first event that knows how it ended: a redirect, the
// response starting (cache hits included), or an error (a blocked or failed
// request is still an attempted contact). The browser wiring converts the
// browsers' details into RequestEvent; everything here runs unchanged in Node
// tests. Without a DNS resolver (Chrome) it works synchronously: no promise
// per request on the hot path.

export interface RequestEvent {
  kind: 'redirect' | 'response' | 'completed' | 'error';
  requestId: string;
  url: string;
  tabId: number;
  frameId: number;
  type: string;
  ip: string | null;
  fromCache: boolean;
  time: number;
  /** Chrome: the document that made the request, its lifecycle and frame type. */
  documentId?: string | undefined;
  documentLifecycle?: string | undefined;
  /** Chrome: origin that initiated the request. Firefox: originUrl. */
  initiator?: string | undefined;
  /** Firefox: URL of the document that made the request. */
  documentUrl?: string | undefined;
}

/** What DNS says of a host (Firefox's dns.resolve); absent in Chrome. */
export interface HostResolver {
  resolve(host: string): Promise<{ addresses: string[]; canonicalName: string | null } | null>;
}

export interface WatcherDeps {
  tracker: TabTracker;
  classifier: () => Classifier;
  ipCache: HostIpCache;
  resolver?: HostResolver | undefined;
  /**
   * A page view changed: `flagged` when a flagged contact was recorded (and
   * `isNewEndpoint` when that added an endpoint), not when a request only
   * moved the request counter.
   */
  onChange: (attribution: Attribution, change: { flagged: boolean; isNewEndpoint: boolean }) => void;
  /** A worker's flagged request that no open tab could be tied to. */
  onUnattributed?: (origin: string, event: RequestEvent) => void;
}

const NOT_FLAGGED: Classification = Object.freeze({
  flagged: false, operatorId: null, operator: null, asn: null, asName: null, confidence: null,
  matchedBy: [], tags: [], matches: [], host: null, ip: null, allowlisted: false,
}) as Classification;

/** Hops remembered to tell a later event of the same hop (an error after the response) from a new one. */
const REMEMBERED_HOPS = 1000;

export class RequestWatcher {
  /** Requests whose final hop was already counted (by requestId), the most recent ones. */
  private readonly counted = new Map<string, true>();
  /** Frame URLs by `${tabId}:${frameId}`, learned from main_frame and sub_frame requests (Chrome gives no documentUrl). */
  private readonly frameUrls = new Map<string, string>();

  constructor(private readonly deps: WatcherDeps) {}

  handle(event: RequestEvent): void | Promise<void> {
    const host = hostOfUrl(event.url);
    if (!host.ok) return; // data:, blob: and the like: no network destination
    // A hop ends once: in a redirect (each hop its own event), or in a response
    // that may still be followed by an error for the same request (aborted
    // body). Only the latter needs remembering.
    const key = event.requestId;
    const alreadyCounted = event.kind !== 'redirect' && this.counted.has(key);
    if (event.kind !== 'redirect' && !alreadyCounted) this.remember(key);
    if (event.ip) this.deps.ipCache.set(host.host, event.ip);
    if (alreadyCounted) return;
    if (event.type === 'sub_frame' || event.type === 'main_frame') this.frameUrls.set(`${event.tabId}:${event.frameId}`, event.url);
    const resolver = this.deps.resolver;
    if (!resolver) return this.record(event, host.host, { ip: event.ip ?? this.deps.ipCache.get(host.host) ?? null, cname: null });
    return this.resolve(resolver, host.host, event).then((address) => this.record(event, host.host, address));
  }

  private record(event: RequestEvent, hostName: string, { ip, cname }: { ip: string | null; cname: string | null }): void {
    const targets = this.attribute(event);
    const classifier = this.deps.classifier();
    // Most requests are not flagged: answer those without building a verdict.
    const classification = classifier.mightFlag(hostName, ip, cname) ? classifier.classify({ host: hostName, ip, cname }) : NOT_FLAGGED;
    if (targets.length === 0) {
      if (classification.flagged) this.deps.onUnattributed?.(this.initiatorOrigin(event) ?? 'unknown', event);
      return;
    }
    for (const target of targets) {
      const view = target.view;
      view.requests++;
      if (!classification.flagged) {
        this.deps.onChange(target, { flagged: false, isNewEndpoint: false });
        continue;
      }
      // Only flagged requests pay for parsing the page URL.
      const pageHost = view.url ? hostOfUrl(view.url) : undefined;
      const party = pageHost?.ok ? partyOf(hostName, pageHost.host) : 'third';
      const isNew = recordContact(view, {
        classification,
        host: hostName,
        ip,
        type: event.type,
        failed: event.kind === 'error',
        time: event.time,
        party,
        frameUrl: this.frameUrlOf(event, view),
        viaWorker: event.tabId < 0,
        cname: classification.matchedBy.includes('cname') ? cname : null,
      });
      this.deps.onChange(target, { flagged: true, isNewEndpoint: isNew });
    }
  }

  /** A tab closed: forget its frames. */
  forgetTab(tabId: number): void {
    for (const key of this.frameUrls.keys()) if (key.startsWith(`${tabId}:`)) this.frameUrls.delete(key);
  }

  private remember(key: string): void {
    this.counted.set(key, true);
    if (this.counted.size > REMEMBERED_HOPS) this.counted.delete(this.counted.keys().next().value!);
  }

  /**
   * With DNS (Firefox): the server IP as reported, else what DNS says now (a
   * response from the disk cache has none), else the one last seen for the
   * host; and the host's CNAME target. Without DNS, handle() takes the
   * reported or last-seen IP directly.
   */
  private async resolve(resolver: HostResolver, host: string, event: RequestEvent): Promise<{ ip: string | null; cname: string | null }> {
    const answer = await resolver.resolve(host).catch(() => null);
    const ip = event.ip ?? answer?.addresses[0] ?? this.deps.ipCache.get(host) ?? null;
    return { ip, cname: answer?.canonicalName ?? null };
  }

  private attribute(event: RequestEvent): Attribution[] {
    const { tracker } = this.deps;
    if (event.tabId >= 0) {
      if (event.documentLifecycle === 'prerender') {
        if (event.type === 'main_frame') {
          return [{ tabId: event.tabId, view: tracker.provisionalFor(event.tabId, event.requestId, event.url, event.time), visible: false }];
        }
        if (event.documentId !== undefined) {
          return [{ tabId: event.tabId, view: tracker.prerenderFor(event.tabId, event.documentId, event.url, event.time), visible: false }];
        }
      }
      if (event.type === 'main_frame') {
        const view = tracker.provisionalFor(event.tabId, event.requestId, event.url, event.time);
        if (event.kind === 'error') {
          // The navigation failed: the tab shows an error page for it now.
          return [tracker.navigationFailed(event.requestId, event.time) ?? { tabId: event.tabId, view, visible: false }];
        }
        if (event.kind === 'response') {
          // Its page may already be on screen (the commit came first): then it counts there.
          const shown = tracker.navigationResponded(event.tabId, event.requestId, event.url);
          if (shown) {
            const target = { tabId: event.tabId, view: shown.view, visible: true };
            if (shown.added > 0) this.deps.onChange(target, { flagged: true, isNewEndpoint: true });
            return [target];
          }
        }
        return [{ tabId: event.tabId, view, visible: false }];
      }
      return [tracker.forFrame(event.tabId, event.time, event.documentId)];
    }
    // No tab: a service worker, a shared worker, a prefetch. Tie it to the
    // tabs showing the origin that made it.
    const origin = this.initiatorOrigin(event);
    if (origin === null) return [];
    return tracker.tabsShowingOrigin(origin).map((state) => ({ tabId: state.tabId, view: state.current!, visible: true }));
  }

  private initiatorOrigin(event: RequestEvent): string | null {
    for (const candidate of [event.initiator, event.documentUrl]) {
      if (!candidate) continue;
      try {
        const origin = new URL(candidate).origin;
        if (origin !== 'null') return origin;
      } catch {
        // not a URL
      }
    }
    return null;
  }

  private frameUrlOf(event: RequestEvent, view: PageView): string | null {
    if (event.type === 'main_frame') return event.url;
    if (event.documentUrl) return event.documentUrl;
    if (event.tabId < 0) return event.initiator ?? null;
    if (event.frameId === 0) return view.url || null;
    return this.frameUrls.get(`${event.tabId}:${event.frameId}`) ?? null;
  }
}
