import type { Classification } from './classifier.ts';
import { siteOf } from './party.ts';
import type { Settings } from './settings.ts';
import { CONFIDENCE_RANK, type Confidence, type DomainEntry, type FlaggedList, type OperatorId } from './types.ts';

// What "Block" means, in one place for both browsers: Chrome turns it into
// declarativeNetRequest rules (static rulesets + dynamic rules), Firefox asks
// it per request in a blocking onBeforeRequest. A request is blocked when its
// destination is flagged under the settings (operators on, confidence
// threshold) and either the mode is "block" or it is a phone-number login
// gateway and that switch is on; never on a page the user exempted.

/** Why a request is (or would be) blocked. */
export type BlockReason = 'flagged' | 'phone-login';

export interface StaticRuleset {
  /** e.g. "china-mobile-high", "phone-login-china-unicom-high". */
  id: string;
  operatorId: OperatorId;
  confidence: Confidence;
  phoneLogin: boolean;
}

/**
 * The static ruleset a curated domain goes into: one per operator and
 * confidence (so the threshold can switch a set on or off whole), with the
 * phone-login gateways apart (their switch works without "Block").
 */
export function rulesetOf(entry: Pick<DomainEntry, 'operatorId' | 'confidence' | 'tags'>): StaticRuleset {
  const phoneLogin = entry.tags.includes('phone-login');
  const id = `${phoneLogin ? 'phone-login-' : ''}${entry.operatorId}-${entry.confidence}`;
  return { id, operatorId: entry.operatorId, confidence: entry.confidence, phoneLogin };
}

/** Every ruleset the list fills, each with its domains, in a stable order. */
export function staticRulesets(list: Pick<FlaggedList, 'domains'>): Array<StaticRuleset & { domains: string[] }> {
  const byId = new Map<string, StaticRuleset & { domains: string[] }>();
  for (const entry of list.domains) {
    const ruleset = rulesetOf(entry);
    const existing = byId.get(ruleset.id);
    if (existing) existing.domains.push(entry.domain);
    else byId.set(ruleset.id, { ...ruleset, domains: [entry.domain] });
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export class ProtectionPolicy {
  private readonly exemptSites: Set<string>;
  private readonly enabled: Set<OperatorId>;
  private readonly floor: number;

  constructor(readonly settings: Settings) {
    this.exemptSites = new Set([...settings.protection.allowedSites, ...settings.user.allowlist]);
    this.enabled = new Set(settings.enabledOperators);
    this.floor = CONFIDENCE_RANK[settings.minConfidence];
  }

  /** Anything to block at all: Chrome keeps no rules and Firefox no blocking listener otherwise. */
  get active(): boolean {
    return this.settings.protection.mode === 'block' || this.settings.protection.blockPhoneLogin;
  }

  get mode(): Settings['protection']['mode'] {
    return this.settings.protection.mode;
  }

  /**
   * The page (its host) is exempt: "Allow on this site", or the allowlist
   * (a site the user trusts gets no warnings, so it must not be broken
   * silently either).
   */
  exempt(pageHost: string | null): boolean {
    if (pageHost === null || this.exemptSites.size === 0) return false;
    return this.exemptSites.has(pageHost) || this.exemptSites.has(siteOf(pageHost));
  }

  /** The sites exempt from blocking, for Chrome's allow rules. */
  exemptList(): string[] {
    return [...this.exemptSites].sort();
  }

  /** Why a destination so classified is blocked (the classifier already applied operators and threshold), or null. */
  reasonFor(classification: Pick<Classification, 'flagged' | 'tags'>): BlockReason | null {
    if (!classification.flagged) return null;
    if (this.settings.protection.mode === 'block') return 'flagged';
    if (this.settings.protection.blockPhoneLogin && classification.tags.includes('phone-login')) return 'phone-login';
    return null;
  }

  /** Is a ruleset's every rule blocked under these settings? */
  rulesetOn(ruleset: StaticRuleset): boolean {
    if (!this.enabled.has(ruleset.operatorId) || CONFIDENCE_RANK[ruleset.confidence] < this.floor) return false;
    return this.settings.protection.mode === 'block' || (ruleset.phoneLogin && this.settings.protection.blockPhoneLogin);
  }

  /** The user's own domains that are blocked (Block mode, operator on: the user's entries pass any threshold). */
  customDomains(): string[] {
    if (this.settings.protection.mode !== 'block') return [];
    return this.settings.user.domains.filter((d) => this.enabled.has(d.operatorId)).map((d) => d.domain);
  }
}
