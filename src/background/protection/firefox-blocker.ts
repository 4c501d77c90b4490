import type { Classification, Classifier } from '../../engine/classifier.ts';
import { hostOfUrl } from '../../engine/host.ts';
import type { BlockReason, ProtectionPolicy } from '../../engine/protection.ts';
import type { CachingResolver, DnsAnswer } from '../firefox-dns.ts';
import type { TabPasses } from './tab-passes.ts';

// Firefox blocks before connecting: a blocking onBeforeRequest listener
// decides each request. A listed domain is cancelled at once; any other host
// is judged by the address DNS gives for it (the browser's own cache, so
// usually no wait), before Firefox opens a connection. The look-up is
// time-boxed: a slow or failed one lets the request go (never block on an
// error, never hang a page). Behind a proxy that resolves names, no look-up is
// made: domains only.

/** The part of Firefox's onBeforeRequest details used here. */
export interface BeforeRequest {
  requestId: string;
  url: string;
  tabId: number;
  frameId: number;
  type: string;
  documentUrl?: string | undefined;
  originUrl?: string | undefined;
  frameAncestors?: ReadonlyArray<{ url: string; frameId: number }> | undefined;
}

export type BlockingAnswer = { cancel: true } | { redirectUrl: string } | undefined;

export interface BlockerDeps {
  policy: () => ProtectionPolicy;
  classifier: () => Classifier;
  resolver: CachingResolver | undefined;
  /** A proxy resolves host names: judge by domain only. */
  domainOnly: () => boolean;
  passes: TabPasses;
  /** The explanation page a blocked top-level navigation lands on. */
  blockedPageUrl: string;
  /** How long a request may wait for its host's address before it is let through. */
  lookupTimeoutMs?: number;
}

/** Long enough for a real DNS answer on a slow network, short enough that a broken resolver does not stall a page. */
export const LOOKUP_TIMEOUT_MS = 1500;
/** Blocked request ids remembered so the error event that follows is counted as blocked, not failed. */
const REMEMBERED = 2000;

export class FirefoxBlocker {
  private readonly blockedIds = new Set<string>();
  /**
   * For the bench and the logs: look-ups a request waited for (the rest were
   * answered from the cache at once), how many ran out of time or failed, and
   * how long requests waited for them in all (the latency blocking adds).
   */
  readonly stats = { lookups: 0, timeouts: 0, failures: 0, blocked: 0, waitedMs: 0, maxWaitMs: 0 };

  constructor(private readonly deps: BlockerDeps) {}

  /** Did this blocker stop that request? (Its onErrorOccurred is then a block, not a failure.) */
  wasBlocked(requestId: string): boolean {
    return this.blockedIds.has(requestId);
  }

  handle(details: BeforeRequest): BlockingAnswer | Promise<BlockingAnswer> {
    const host = hostOfUrl(details.url);
    if (!host.ok) return undefined;
    const policy = this.deps.policy();
    if (!policy.active) return undefined;
    const pageHost = this.pageHostOf(details, host.host);
    if (policy.exempt(pageHost) || (details.tabId >= 0 && this.deps.passes.allows(details.tabId, pageHost))) return undefined;
    const classifier = this.deps.classifier();
    // By name first (and an address written as the host): no look-up needed.
    if (classifier.mightFlag(host.host, null)) {
      const reason = policy.reasonFor(classifier.classify({ host: host.host }));
      if (reason) return this.block(details, reason);
    }
    const resolver = this.deps.resolver;
    if (!resolver || this.deps.domainOnly() || policy.mode !== 'block') return undefined; // phone-login gateways are domains
    const known = resolver.peek(host.host);
    if (known !== undefined) return this.judge(details, host.host, known);
    this.stats.lookups++;
    return this.lookUp(resolver, host.host).then((answer) => this.judge(details, host.host, answer));
  }

  private lookUp(resolver: CachingResolver, host: string): Promise<DnsAnswer> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.deps.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS)));
    return Promise.race([resolver.resolve(host), timeout]).then((answer) => {
      clearTimeout(timer);
      const waited = performance.now() - started;
      this.stats.waitedMs += waited;
      this.stats.maxWaitMs = Math.max(this.stats.maxWaitMs, waited);
      if (answer === 'timeout') {
        this.stats.timeouts++;
        return null;
      }
      if (answer === null) this.stats.failures++;
      return answer;
    });
  }

  private judge(details: BeforeRequest, host: string, answer: DnsAnswer): BlockingAnswer {
    if (answer === null) return undefined;
    const policy = this.deps.policy();
    const classifier = this.deps.classifier();
    // Any of its addresses: the connection may use any of them.
    for (const ip of answer.addresses.slice(0, 8)) {
      if (!classifier.mightFlag(host, ip, answer.canonicalName)) continue;
      const reason = policy.reasonFor(classifier.classify({ host, ip, cname: answer.canonicalName }) as Classification);
      if (reason) return this.block(details, reason);
    }
    if (answer.addresses.length === 0 && answer.canonicalName !== null && classifier.mightFlag(host, null, answer.canonicalName)) {
      const reason = policy.reasonFor(classifier.classify({ host, cname: answer.canonicalName }));
      if (reason) return this.block(details, reason);
    }
    return undefined;
  }

  private block(details: BeforeRequest, _reason: BlockReason): BlockingAnswer {
    this.blockedIds.add(details.requestId);
    if (this.blockedIds.size > REMEMBERED) this.blockedIds.delete(this.blockedIds.values().next().value!);
    this.stats.blocked++;
    // A top-level page gets the explanation; anything else is simply cancelled.
    if (details.type === 'main_frame') return { redirectUrl: `${this.deps.blockedPageUrl}#${details.url}` };
    return { cancel: true };
  }

  /** The host of the top-level page the request is for: what a site exception is judged by. */
  private pageHostOf(details: BeforeRequest, requestHost: string): string | null {
    if (details.type === 'main_frame') return requestHost;
    const top = details.frameAncestors?.length ? details.frameAncestors[details.frameAncestors.length - 1]!.url : details.frameId === 0 || details.tabId < 0 ? (details.documentUrl ?? details.originUrl) : undefined;
    if (top === undefined) return null;
    const host = hostOfUrl(top);
    return host.ok ? host.host : null;
  }
}
