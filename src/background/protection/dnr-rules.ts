import type { ProtectionPolicy, StaticRuleset } from '../../engine/protection.ts';

// Chrome's blocking as declarativeNetRequest rules, computed from the
// settings alone (pure, unit-tested; dnr-sync.ts applies it):
// - static rulesets (built from the curated list) switched on or off whole;
//   or, once a data update replaced the list, the same sets as dynamic rules
//   (the static ones hold the list the extension shipped);
// - dynamic rules (kept across restarts) for the user's own domains, hosts
//   learned to be on a flagged network, top-level pages sent to the
//   explanation page, and the sites where nothing is blocked;
// - session rules (memory only) for hosts learned in private windows and for
//   "Continue once".
// Priorities: blocks 1 < page redirect 2 < site exceptions 4 < continue once 5.
// Blocks never match top-level pages, so a blocked page always gets the
// explanation instead of Chrome's error page.

export interface DnrRule {
  id: number;
  priority: number;
  action:
    | { type: 'block' | 'allow' | 'allowAllRequests' }
    | { type: 'redirect'; redirect: { regexSubstitution: string } };
  condition: {
    requestDomains?: string[];
    initiatorDomains?: string[];
    excludedResourceTypes?: string[];
    resourceTypes?: string[];
    regexFilter?: string;
    tabIds?: number[];
  };
}

export interface DnrPlan {
  enabledRulesets: string[];
  dynamicRules: DnrRule[];
  sessionRules: DnrRule[];
}

export interface PlanInput {
  /** Null when neither Block nor the phone-login switch is on: no rule at all. */
  policy: ProtectionPolicy | null;
  rulesets: ReadonlyArray<StaticRuleset & { domains: string[] }>;
  /** "static": the rulesets are the extension's own (built from the shipped list); "dynamic": a data update's list, blocked with dynamic rules. */
  listed: 'static' | 'dynamic';
  /** Learned hosts still blocked under the settings: kept on disk, or (private windows) in memory only. */
  learned: string[];
  learnedPrivate: string[];
  /** "Continue once": this tab may load this host's page (and what the page loads). */
  passes: ReadonlyArray<{ tabId: number; host: string }>;
  /** chrome-extension://<id>/src/blocked/index.html */
  blockedPageUrl: string;
}

export const RULE_IDS = {
  blockCustom: 1,
  blockLearned: 2,
  redirectPages: 3,
  allowPages: 4,
  allowInitiated: 5,
  /** A data update's list: one rule per ruleset that is on, from here up. */
  firstListed: 10,
  sessionBlockLearned: 1,
  sessionRedirectLearned: 2,
  firstPass: 100,
} as const;

const PRIORITY = { block: 1, redirect: 2, exception: 4, pass: 5 } as const;

function block(id: number, domains: string[]): DnrRule {
  return { id, priority: PRIORITY.block, action: { type: 'block' }, condition: { requestDomains: domains, excludedResourceTypes: ['main_frame'] } };
}

/** The original URL goes after '#' so the explanation page can name it and "Continue once" can load it. */
function redirect(id: number, domains: string[], blockedPageUrl: string): DnrRule {
  return {
    id,
    priority: PRIORITY.redirect,
    action: { type: 'redirect', redirect: { regexSubstitution: `${blockedPageUrl}#\\0` } },
    condition: { requestDomains: domains, regexFilter: '^.+$', resourceTypes: ['main_frame'] },
  };
}

const sorted = (items: Iterable<string>): string[] => [...new Set(items)].sort();

export function planRules(input: PlanInput): DnrPlan {
  const { policy } = input;
  if (!policy?.active) return { enabledRulesets: [], dynamicRules: [], sessionRules: [] };
  const on = input.rulesets.filter((r) => policy.rulesetOn(r));
  const custom = sorted(policy.customDomains());
  const learned = sorted(input.learned);
  const learnedPrivate = sorted(input.learnedPrivate);
  const dynamicRules: DnrRule[] = [];
  if (input.listed === 'dynamic') on.forEach((r, i) => dynamicRules.push(block(RULE_IDS.firstListed + i, sorted(r.domains))));
  if (custom.length > 0) dynamicRules.push(block(RULE_IDS.blockCustom, custom));
  if (learned.length > 0) dynamicRules.push(block(RULE_IDS.blockLearned, learned));
  const pages = sorted([...on.flatMap((r) => r.domains), ...custom, ...learned]);
  if (pages.length > 0) dynamicRules.push(redirect(RULE_IDS.redirectPages, pages, input.blockedPageUrl));
  const exempt = policy.exemptList();
  if (exempt.length > 0) {
    // The exempt site's pages and everything in them; and what the site's service workers
    // fetch, which has no tab (the initiator is the site). Not a page the site navigates to:
    // leaving it for a flagged host is judged like any navigation.
    dynamicRules.push({ id: RULE_IDS.allowPages, priority: PRIORITY.exception, action: { type: 'allowAllRequests' }, condition: { requestDomains: exempt, resourceTypes: ['main_frame'] } });
    dynamicRules.push({ id: RULE_IDS.allowInitiated, priority: PRIORITY.exception, action: { type: 'allow' }, condition: { initiatorDomains: exempt, excludedResourceTypes: ['main_frame'] } });
  }
  const sessionRules: DnrRule[] = [];
  if (learnedPrivate.length > 0) {
    sessionRules.push(block(RULE_IDS.sessionBlockLearned, learnedPrivate));
    sessionRules.push(redirect(RULE_IDS.sessionRedirectLearned, learnedPrivate, input.blockedPageUrl));
  }
  input.passes.forEach((pass, i) => {
    sessionRules.push({
      id: RULE_IDS.firstPass + i,
      priority: PRIORITY.pass,
      action: { type: 'allowAllRequests' },
      condition: { requestDomains: [pass.host], resourceTypes: ['main_frame'], tabIds: [pass.tabId] },
    });
  });
  return { enabledRulesets: input.listed === 'static' ? on.map((r) => r.id) : [], dynamicRules, sessionRules };
}
