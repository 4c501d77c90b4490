import type { Classification, Classifier } from '../../engine/classifier.ts';
import { hostOfUrl } from '../../engine/host.ts';
import { ProtectionPolicy, staticRulesets, type StaticRuleset } from '../../engine/protection.ts';
import { DEFAULT_SETTINGS } from '../../engine/settings.ts';
import type { FlaggedList } from '../../engine/types.ts';
import type { CachingResolver } from '../firefox-dns.ts';
import type { BlockExplanation, ContinueOnceReply, ProtectionStatus } from '../messages.ts';
import type { LocalArea } from '../site-log-store.ts';
import { planRules } from './dnr-rules.ts';
import { DnrSync, type DnrApi } from './dnr-sync.ts';
import { FirefoxBlocker } from './firefox-blocker.ts';
import { LearnedHosts } from './learned-hosts.ts';
import { TabPasses } from './tab-passes.ts';

// Blocking, for the background: one object that holds the policy the
// settings make, and drives Chrome's rules or Firefox's blocker from it.
// Everything browser-specific comes in through the constructor, so the tests
// run it with fakes.

export const LEARNED_KEY = 'learnedHosts';
/** Writes of the learned hosts are batched: a page can teach dozens at once. */
const LEARNED_WRITE_DELAY_MS = 1000;

export interface ProtectionDeps {
  classifier: () => Classifier;
  list: () => FlaggedList;
  local: LocalArea;
  /** chrome-extension://…/src/blocked/index.html or moz-extension://… */
  blockedPageUrl: string;
  /** Chrome: declarativeNetRequest. Absent in Firefox, which blocks with `resolver` instead. */
  dnr?: DnrApi | undefined;
  resolver?: CachingResolver | undefined;
  now?: () => number;
}

export class Protection {
  private policyNow = new ProtectionPolicy(DEFAULT_SETTINGS);
  readonly passes = new TabPasses();
  /** Chrome: hosts learned on flagged networks, kept on disk; and those from private windows, kept in memory only. */
  readonly learned = new LearnedHosts();
  readonly learnedPrivate = new LearnedHosts();
  readonly sync: DnrSync | undefined;
  readonly blocker: FirefoxBlocker | undefined;
  /** Firefox: a proxy resolves host names, so no look-up is made and blocking goes by domain only. */
  domainOnly = false;
  private rulesets: Array<StaticRuleset & { domains: string[] }> | null = null;
  /** Whether the list in use is the one the static rulesets were built from (see dataChanged). */
  private listed: 'static' | 'dynamic' = 'static';
  private writeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Why saving the learned hosts failed (quota?); they stay in force from memory. */
  lastWriteError: string | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: ProtectionDeps) {
    this.now = deps.now ?? Date.now;
    if (deps.dnr) this.sync = new DnrSync(deps.dnr, () => this.plan());
    else {
      this.blocker = new FirefoxBlocker({
        policy: () => this.policyNow,
        classifier: deps.classifier,
        resolver: deps.resolver,
        domainOnly: () => this.domainOnly,
        passes: this.passes,
        blockedPageUrl: deps.blockedPageUrl,
      });
    }
  }

  get policy(): ProtectionPolicy {
    return this.policyNow;
  }

  /** New settings (the user's or the organisation's): Chrome's rules follow at once; Firefox asks the policy per request. */
  update(policy: ProtectionPolicy): Promise<void> {
    this.policyNow = policy;
    return this.applyRules();
  }

  /**
   * The curated list changed: a data update was applied ("dynamic": Chrome's static rulesets
   * hold the shipped list, so the new one is blocked with dynamic rules) or the shipped data
   * came back ("static"). The caller's recompute() then applies the rules.
   */
  dataChanged(listed: 'static' | 'dynamic'): void {
    this.listed = listed;
    this.rulesets = null;
  }

  /** Restores the learned hosts saved on disk (malformed or expired entries are dropped). */
  restore(saved: unknown): void {
    this.learned.load(saved, this.now());
  }

  applyRules(): Promise<void> {
    return this.sync ? this.sync.sync() : Promise.resolve();
  }

  /**
   * A response showed a host's address (Chrome). A host on a flagged network
   * that only its address gives away is learned, so its next requests are
   * blocked; one that answered from an unflagged address is let go.
   */
  onAddress(host: string, ip: string, classification: Classification, isPrivate: boolean): void {
    if (!this.sync) return;
    const store = isPrivate ? this.learnedPrivate : this.learned;
    if (classification.flagged) {
      if (classification.matchedBy.some((by) => by !== 'ip')) return; // a domain rule covers it
      if (this.policyNow.reasonFor(classification) === null || classification.operatorId === null) return;
      if (store.learn(host, ip, classification.operatorId, this.now())) this.learnedChanged(isPrivate);
      return;
    }
    if (this.learned.forget(host)) this.learnedChanged(false);
    if (this.learnedPrivate.forget(host)) this.learnedChanged(true);
  }

  /** The IP a learned host had, for counting its blocked requests (they carry none). */
  learnedIp(host: string): string | undefined {
    return (this.learnedPrivate.get(host) ?? this.learned.get(host))?.ip;
  }

  /** "Clear all data": learned hosts are a record of where pages went, so they go too. */
  async clearLearned(): Promise<void> {
    this.learned.clear();
    this.learnedPrivate.clear();
    clearTimeout(this.writeTimer);
    await this.deps.local.remove(LEARNED_KEY);
    await this.applyRules();
  }

  private learnedChanged(isPrivate: boolean): void {
    void this.applyRules();
    if (isPrivate) return; // private windows never touch the disk
    if (this.writeTimer !== undefined) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      this.deps.local.set({ [LEARNED_KEY]: this.learned.toJSON() }).then(
        () => (this.lastWriteError = null),
        (error: unknown) => {
          this.lastWriteError = String(error);
          console.warn('Carrier Watch: could not save the learned hosts (they stay blocked until the browser closes):', error);
        },
      );
    }, LEARNED_WRITE_DELAY_MS);
  }

  private plan() {
    this.rulesets ??= staticRulesets(this.deps.list());
    const now = this.now();
    if (this.learned.expire(now)) this.learnedChanged(false);
    this.learnedPrivate.expire(now);
    const classifier = this.deps.classifier();
    // Judged again under the current settings: an operator switched off unblocks its learned hosts.
    const stillBlocked = (store: LearnedHosts) =>
      store.list().filter((h) => this.policyNow.reasonFor(classifier.classify({ host: h.host, ip: h.ip })) !== null).map((h) => h.host);
    return planRules({
      policy: this.policyNow,
      rulesets: this.rulesets,
      listed: this.listed,
      learned: stillBlocked(this.learned),
      learnedPrivate: stillBlocked(this.learnedPrivate),
      passes: this.passes.list(),
      blockedPageUrl: this.deps.blockedPageUrl,
    });
  }

  /** Whether a request event is a block rather than a failure or a plain redirect. */
  isBlocked(event: { kind: string; requestId: string; error?: string | undefined; redirectUrl?: string | undefined }): boolean {
    if (event.kind === 'redirect') return event.redirectUrl?.startsWith(this.deps.blockedPageUrl) ?? false;
    if (event.kind !== 'error') return false;
    if (this.blocker) return this.blocker.wasBlocked(event.requestId);
    return event.error === 'net::ERR_BLOCKED_BY_CLIENT';
  }

  /** Firefox: a response came through a proxy that resolves names (an HTTP proxy, or SOCKS with proxyDNS). */
  onProxyInfo(proxy: { type?: string; proxyDNS?: boolean } | null | undefined): boolean {
    if (!proxy || this.domainOnly) return false;
    if (proxy.type === 'http' || proxy.type === 'https' || proxy.proxyDNS === true) {
      this.domainOnly = true;
      return true;
    }
    return false;
  }

  /** Why the explanation page's URL is blocked. */
  explain(url: string, ipHint: (host: string) => string | undefined): BlockExplanation {
    const host = hostOfUrl(url);
    if (!host.ok) return { flagged: false, host: null };
    const ip = this.learnedIp(host.host) ?? ipHint(host.host) ?? null;
    const c = this.deps.classifier().classify({ host: host.host, ip });
    const reason = this.policyNow.reasonFor(c);
    if (!c.flagged || reason === null || c.operatorId === null) return { flagged: false, host: host.host };
    const operator = this.deps.classifier().operator(c.operatorId);
    const domain = c.matches.find((m) => m.by === 'domain');
    return {
      flagged: true,
      host: host.host,
      operatorId: c.operatorId,
      operator: c.operator ?? c.operatorId,
      why: operator?.why ?? '',
      reason,
      matchedBy: c.matchedBy,
      tags: c.tags,
      asn: c.asn,
      domain: domain?.by === 'domain' ? domain.domain : null,
      what: domain?.by === 'domain' ? domain.what : null,
      ip: c.ip,
      asName: c.asName,
    };
  }

  /** "Continue once": the tab may load this page; resolves when the rules let it. */
  async continueOnce(tabId: number | undefined, url: string): Promise<ContinueOnceReply> {
    if (tabId === undefined || tabId < 0) return { ok: false, error: 'not in a tab' };
    if (!/^(https?|wss?):/i.test(url)) return { ok: false, error: 'not a web address' };
    const host = hostOfUrl(url);
    if (!host.ok) return { ok: false, error: host.reason };
    if (this.passes.grant(tabId, host.host)) await this.applyRules();
    return this.sync?.lastError ? { ok: false, error: this.sync.lastError } : { ok: true };
  }

  /** A tab showed a page: a pass for another host is used up. */
  committed(tabId: number, url: string): void {
    // The explanation page (an extension page, at Chrome's per-session dynamic URL or the fixed
    // one it redirects to) is on the way to the pass, not away from it; so is any non-web page.
    if (!/^https?:/i.test(url)) return;
    const host = hostOfUrl(url);
    if (this.passes.committed(tabId, host.ok ? host.host : null)) void this.applyRules();
  }

  tabRemoved(tabId: number): void {
    if (this.passes.removeTab(tabId)) void this.applyRules();
  }

  status(pageUrl: string | null, locked: boolean): ProtectionStatus {
    const host = pageUrl ? hostOfUrl(pageUrl) : undefined;
    const settings = this.policyNow.settings.protection;
    return {
      mode: settings.mode,
      blockPhoneLogin: settings.blockPhoneLogin,
      pageExempt: host?.ok === true && this.policyNow.exempt(host.host),
      learnsHosts: this.sync !== undefined,
      domainOnly: this.domainOnly,
      locked,
    };
  }
}
