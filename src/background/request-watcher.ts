import type { Classification, Classifier } from '../engine/classifier.ts';
import { hostOfUrl } from '../engine/host.ts';
import { partyOf } from '../engine/party.ts';
import type { HostIpCache } from './host-ip-cache.ts';
import { allBlocked, recordContact, type Contact, type IpSource, type PageView } from './page-view.ts';
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
  /** HTTP method (every webRequest event has it). */
  method?: string | undefined;
  /** Chrome: the document that made the request, its lifecycle and frame type. */
  documentId?: string | undefined;
  documentLifecycle?: string | undefined;
  /** Chrome: origin that initiated the request. Firefox: originUrl. */
  initiator?: string | undefined;
  /** Firefox: URL of the document that made the request. */
  documentUrl?: string | undefined;
  /**
   * It never reached the server: Carrier Watch's rules (or another
   * extension's) blocked it, or redirected the page to the explanation page.
   */
  blocked?: boolean | undefined;
}

/**
 * A resource a frame's document used that no webRequest event reported: one
 * served from the memory, image, preload or service-worker cache. The content
 * script sees it in Resource Timing (or as an image load) and the background
 * passes it here with the tab and frame the browser gave as the sender.
 */
export interface PageResource {
  tabId: number;
  frameId: number;
  /** Chrome: the sending document's id and lifecycle (a prerendered page reports too). */
  documentId?: string | undefined;
  documentLifecycle?: string | undefined;
  /** URL of the frame that used it. */
  frameUrl: string | null;
  host: string;
  /** As a webRequest type: script, image, stylesheet, ... */
  type: string;
  /** When the resource finished loading, as the page reported it. */
  time: number;
}

/** What DNS says of a host (Firefox's dns.resolve); absent in Chrome. */
export interface HostResolver {
  resolve(host: string): Promise<{ addresses: string[]; canonicalName: string | null } | null>;
}

export interface WatcherChange {
  flagged: boolean;
  isNewEndpoint: boolean;
  /** What the tab's badge shows may have changed (a new endpoint, or the first one past the cap). */
  badgeChanged: boolean;
}

const COUNTER_MOVED: WatcherChange = Object.freeze({ flagged: false, isNewEndpoint: false, badgeChanged: false });

interface Address {
  ip: string | null;
  ipSource: IpSource | null;
  cname: string | null;
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
  onChange: (attribution: Attribution, change: WatcherChange) => void;
  /** A worker's flagged request that no open tab could be tied to. */
  onUnattributed?: (origin: string, event: RequestEvent) => void;
  /**
   * A response told a host's address, with the verdict on it (Chrome learns
   * from this which hosts to block). Called for unflagged answers too: a
   * host that moved off a flagged network is let go.
   */
  onAddress?: (host: string, ip: string, classification: Classification, event: RequestEvent) => void;
}

const NOT_FLAGGED: Classification = Object.freeze({
  flagged: false, operatorId: null, operator: null, asn: null, asName: null, confidence: null,
  matchedBy: [], tags: [], matches: [], host: null, ip: null, allowlisted: false,
}) as Classification;

/** Hops remembered to tell a later event of the same hop (an error after the response) from a new one. */
const REMEMBERED_HOPS = 1000;
/** Hosts remembered per page view, past the endpoint cap or counted from reports (a page of thousands of flagged hosts). */
const REMEMBERED_HOSTS_PER_VIEW = 5000;
/**
 * How long after a page says a resource ended a request of its host may be
 * stamped and still be that resource: the browser stamps the webRequest event
 * in another process, and under load (Firefox, 10,000 requests) a 50 ms
 * window still let two of 800 through. A real cache hit followed within this
 * by a network request of the same host reads as over the network only.
 */
const REPORT_CLOCK_SLACK_MS = 1000;

/**
 * A response the network did not give: the browser's disk cache, or (Firefox)
 * a service worker's answer, which Firefox reports with no IP and not from
 * the cache. Chrome reports every network response with its IP.
 */
function servedLocally(event: RequestEvent): boolean {
  return event.kind === 'response' && (event.fromCache || event.ip === null);
}

export class RequestWatcher {
  /** Requests whose final hop was already counted (by requestId), the most recent ones. */
  private readonly counted = new Map<string, true>();
  /** Frame URLs by `${tabId}:${frameId}`, learned from main_frame and sub_frame requests (Chrome gives no documentUrl). */
  private readonly frameUrls = new Map<string, string>();
  /**
   * Flagged hosts each page view counted past its endpoint cap (they are in
   * `spilled`, not in `endpoints`), so a cache report of one is not counted
   * twice. Weak: it goes with the page view.
   */
  private readonly spilledHosts = new WeakMap<PageView, Set<string>>();
  /**
   * Hosts each page view counted from a page's report alone, with when the
   * reported resource finished. A report can overtake the webRequest event
   * of the same resource (Firefox under load): a response of that host that
   * started before then is that resource, over the network, and takes the
   * report's place instead of counting twice.
   */
  private readonly reportedOnly = new WeakMap<PageView, Map<string, number>>();

  constructor(private readonly deps: WatcherDeps) {}

  handle(event: RequestEvent): void | Promise<void> {
    const host = hostOfUrl(event.url);
    if (!host.ok) return; // data:, blob: and the like: no network destination
    // A redirect no server sent (no IP, not a cached one): the browser's own, an HSTS upgrade or
    // Firefox handing the request to a service worker. The request goes on and counts where it
    // lands: its next hop, or the page's report of what the service worker answered.
    // A blocked page's redirect to the explanation page is no such hop: it counts, as blocked.
    if (event.kind === 'redirect' && event.ip === null && !event.fromCache && !event.blocked) return;
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
    if (!resolver) return this.record(event, host.host, this.lastSeen(host.host, event.ip));
    return this.resolve(resolver, host.host, event.ip).then((address) => this.record(event, host.host, address));
  }

  /**
   * A resource the page used from a cache, with no webRequest event. It
   * counts unless the page view already has an endpoint for the host (the
   * network requests counted it, or another frame's report did). The IP is
   * the one last seen for the host (or, in Firefox, what DNS says): a cache
   * hit reports none.
   */
  handleCached(resource: PageResource): void | Promise<void> {
    const target = this.attributeResource(resource);
    if (!target || this.hostCounted(target.view, resource.host)) return;
    const resolver = this.deps.resolver;
    if (!resolver) return this.recordCached(target, resource, this.lastSeen(resource.host, null));
    return this.resolve(resolver, resource.host, null).then((address) => this.recordCached(target, resource, address));
  }

  private recordCached(target: Attribution, resource: PageResource, address: Address): void {
    // Asked again after the look-up: a request may have counted the host meanwhile.
    if (this.hostCounted(target.view, resource.host)) return;
    const classification = this.classify(resource.host, address);
    if (!classification.flagged) return;
    let reported = this.reportedOnly.get(target.view);
    if (!reported) this.reportedOnly.set(target.view, (reported = new Map()));
    if (reported.size < REMEMBERED_HOSTS_PER_VIEW) reported.set(resource.host, resource.time);
    this.count(target, classification, resource.host, address, allBlocked(target.view), {
      type: resource.type,
      failed: false,
      cached: true,
      method: null,
      time: resource.time,
      frameUrl: resource.frameUrl ?? (resource.frameId === 0 ? target.view.url || null : null),
      viaWorker: false,
    });
  }

  /**
   * A request of `host` on this page view, at `time`: if the host was counted
   * from a page's report of a resource that finished after the request
   * started, it was this request, reported before webRequest told of it. The
   * report's count is withdrawn; the request counts in its place.
   */
  private takeOverReport(view: PageView, host: string, time: number): void {
    const reported = this.reportedOnly.get(view);
    const endedAt = reported?.get(host);
    if (endedAt === undefined) return;
    reported!.delete(host);
    if (time > endedAt + REPORT_CLOCK_SLACK_MS) return; // a later request: the report was a real cache hit
    const endpoint = view.endpoints.find((e) => e.host === host);
    if (endpoint) {
      endpoint.count--;
      endpoint.cached--;
    } else if (view.spilled > 0) {
      view.spilled--;
    }
  }

  /** Whether the page view already counted this host: as an endpoint, or past the cap. */
  private hostCounted(view: PageView, host: string): boolean {
    if (view.endpoints.some((e) => e.host === host)) return true;
    const spilled = this.spilledHosts.get(view);
    // Past what is remembered, assume counted: a page of thousands of flagged hosts is already "200+".
    return spilled !== undefined && (spilled.has(host) || spilled.size >= REMEMBERED_HOSTS_PER_VIEW);
  }

  private classify(hostName: string, { ip, cname }: Address): Classification {
    const classifier = this.deps.classifier();
    // Most requests are not flagged: answer those without building a verdict.
    return classifier.mightFlag(hostName, ip, cname) ? classifier.classify({ host: hostName, ip, cname }) : NOT_FLAGGED;
  }

  private record(event: RequestEvent, hostName: string, address: Address): void {
    const targets = this.attribute(event);
    const classification = this.classify(hostName, address);
    if (event.ip !== null && event.kind === 'response') this.deps.onAddress?.(hostName, event.ip, classification, event);
    if (targets.length === 0) {
      if (classification.flagged) this.deps.onUnattributed?.(this.initiatorOrigin(event) ?? 'unknown', event);
      return;
    }
    for (const target of targets) {
      target.view.requests++;
      if (!classification.flagged) {
        this.deps.onChange(target, COUNTER_MOVED);
        continue;
      }
      const wasAllBlocked = allBlocked(target.view);
      this.takeOverReport(target.view, hostName, event.time);
      this.count(target, classification, hostName, address, wasAllBlocked, {
        type: event.type,
        failed: event.kind === 'error',
        cached: servedLocally(event),
        blocked: event.blocked === true,
        method: event.method ?? null,
        time: event.time,
        frameUrl: this.frameUrlOf(event, target.view),
        viaWorker: event.tabId < 0,
      });
    }
  }

  private count(
    target: Attribution,
    classification: Classification,
    hostName: string,
    { ip, ipSource, cname }: Address,
    /** Whether every flagged request of the page view was blocked before this one (the badge's colour). */
    wasAllBlocked: boolean,
    how: Pick<Contact, 'type' | 'failed' | 'cached' | 'blocked' | 'method' | 'time' | 'frameUrl' | 'viaWorker'>,
  ): void {
    const view = target.view;
    // Only flagged contacts pay for parsing the page URL.
    const pageHost = view.url ? hostOfUrl(view.url) : undefined;
    const party = pageHost?.ok ? partyOf(hostName, pageHost.host) : 'third';
    const change = recordContact(view, {
      ...how,
      classification,
      host: hostName,
      ip,
      ipSource: ip === null ? null : ipSource,
      party,
      cname: classification.matchedBy.includes('cname') ? cname : null,
    });
    if (change.spilled) {
      let hosts = this.spilledHosts.get(view);
      if (!hosts) this.spilledHosts.set(view, (hosts = new Set()));
      if (hosts.size < REMEMBERED_HOSTS_PER_VIEW) hosts.add(hostName);
    }
    // The badge also turns from "blocked" to a warning (or back) without a new endpoint.
    const badgeChanged = change.badgeChanged || allBlocked(view) !== wasAllBlocked;
    this.deps.onChange(target, { flagged: true, isNewEndpoint: change.isNew, badgeChanged });
  }

  /** Without DNS: the IP the event reported, else the one last seen for the host. */
  private lastSeen(host: string, reported: string | null): Address {
    if (reported !== null) return { ip: reported, ipSource: 'response', cname: null };
    const ip = this.deps.ipCache.get(host) ?? null;
    return { ip, ipSource: ip === null ? null : 'last-seen', cname: null };
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
  private async resolve(resolver: HostResolver, host: string, reported: string | null): Promise<Address> {
    const answer = await resolver.resolve(host).catch(() => null);
    const cname = answer?.canonicalName ?? null;
    if (reported !== null) return { ip: reported, ipSource: 'response', cname };
    const resolved = answer?.addresses[0];
    if (resolved !== undefined) return { ip: resolved, ipSource: 'dns', cname };
    return { ...this.lastSeen(host, null), cname };
  }

  /** The page view a page-reported resource belongs to; none for a prerendered page's subframe (its page view is not known). */
  private attributeResource(resource: PageResource): Attribution | undefined {
    const { tracker } = this.deps;
    if (resource.documentLifecycle === 'prerender') {
      if (resource.frameId !== 0 || resource.documentId === undefined) return undefined;
      return { tabId: resource.tabId, view: tracker.prerenderFor(resource.tabId, resource.documentId, resource.frameUrl ?? '', resource.time), visible: false };
    }
    // A subframe's documentId is its own, not the page's: only the top frame's tells which page view.
    return tracker.forFrame(resource.tabId, resource.time, resource.frameId === 0 ? resource.documentId : undefined);
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
            if (shown.added > 0) this.deps.onChange(target, { flagged: true, isNewEndpoint: true, badgeChanged: true });
            return [target];
          }
        }
        return [{ tabId: event.tabId, view, visible: false }];
      }
      return [tracker.forFrame(event.tabId, event.time, event.documentId, event.frameId === 0, event.initiator)];
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
