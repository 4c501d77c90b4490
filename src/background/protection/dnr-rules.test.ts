import { describe, expect, it } from 'vitest';
import { ProtectionPolicy, staticRulesets } from '../../engine/protection.ts';
import { planRules, RULE_IDS, type PlanInput } from './dnr-rules.ts';
import { LIST, settingsWith } from './test-fixtures.ts';

const PAGE = 'chrome-extension://abc/src/blocked/index.html';

function input(policy: ProtectionPolicy | null, extra: Partial<PlanInput> = {}): PlanInput {
  return { policy, rulesets: staticRulesets(LIST), listed: 'static', learned: [], learnedPrivate: [], passes: [], blockedPageUrl: PAGE, ...extra };
}

describe('planRules', () => {
  it('a data update\'s list: the same sets as dynamic rules, no static ruleset (they hold the shipped list)', () => {
    const policy = new ProtectionPolicy(settingsWith({ mode: 'block' }));
    const fromStatic = planRules(input(policy));
    const plan = planRules(input(policy, { listed: 'dynamic' }));
    expect(plan.enabledRulesets).toEqual([]);
    const listed = plan.dynamicRules.filter((r) => r.id >= RULE_IDS.firstListed);
    const sets = staticRulesets(LIST).filter((r) => fromStatic.enabledRulesets.includes(r.id));
    expect(listed.map((r) => r.condition.requestDomains)).toEqual(sets.map((r) => [...r.domains].sort()));
    expect(listed.every((r) => r.action.type === 'block' && r.priority === 1 && r.condition.excludedResourceTypes?.[0] === 'main_frame')).toBe(true);
    // The explanation page covers the same hosts either way.
    expect(plan.dynamicRules.find((r) => r.id === RULE_IDS.redirectPages)).toEqual(fromStatic.dynamicRules.find((r) => r.id === RULE_IDS.redirectPages));
  });

  it('no rule at all while nothing is to be blocked', () => {
    expect(planRules(input(null))).toEqual({ enabledRulesets: [], dynamicRules: [], sessionRules: [] });
    expect(planRules(input(new ProtectionPolicy(settingsWith({ mode: 'warn' })), { learned: ['a.test'] }))).toEqual({ enabledRulesets: [], dynamicRules: [], sessionRules: [] });
  });

  it('Block: the rulesets, the user\'s domains, learned hosts, and top-level pages sent to the explanation page', () => {
    const base = settingsWith({ mode: 'block' });
    const policy = new ProtectionPolicy({ ...base, user: { ...base.user, domains: [{ domain: 'mine.test', operatorId: 'custom' }] } });
    const plan = planRules(input(policy, { learned: ['b.test', 'a.test'] }));
    expect(plan.enabledRulesets).toEqual(['china-mobile-high', 'china-mobile-medium', 'phone-login-china-mobile-high', 'phone-login-china-unicom-high']);
    const byId = new Map(plan.dynamicRules.map((r) => [r.id, r]));
    expect(byId.get(RULE_IDS.blockCustom)).toEqual({ id: 1, priority: 1, action: { type: 'block' }, condition: { requestDomains: ['mine.test'], excludedResourceTypes: ['main_frame'] } });
    expect(byId.get(RULE_IDS.blockLearned)?.condition.requestDomains).toEqual(['a.test', 'b.test']);
    const redirect = byId.get(RULE_IDS.redirectPages)!;
    expect(redirect.action).toEqual({ type: 'redirect', redirect: { regexSubstitution: `${PAGE}#\\0` } });
    expect(redirect.condition).toEqual({
      requestDomains: ['10086.cn', 'a.test', 'b.test', 'cm-medium.cn', 'cmpassport.com', 'enrichgw.10010.com', 'mine.test'],
      regexFilter: '^.+$',
      resourceTypes: ['main_frame'],
    });
    expect(plan.sessionRules).toEqual([]);
  });

  it('the phone-login switch alone: the gateways, and their pages', () => {
    const plan = planRules(input(new ProtectionPolicy(settingsWith({ blockPhoneLogin: true })), { learned: ['a.test'] }));
    expect(plan.enabledRulesets).toEqual(['phone-login-china-mobile-high', 'phone-login-china-unicom-high']);
    // Learned hosts are only ever flagged by address, never gateways: the caller passes none in
    // this mode, and the redirect lists what it is given.
    expect(plan.dynamicRules.find((r) => r.id === RULE_IDS.redirectPages)?.condition.requestDomains).toContain('cmpassport.com');
  });

  it('site exceptions outrank every block: the site\'s pages and what its workers fetch', () => {
    const plan = planRules(input(new ProtectionPolicy(settingsWith({ mode: 'block', allowedSites: ['shop.test'] }))));
    const allowPages = plan.dynamicRules.find((r) => r.id === RULE_IDS.allowPages)!;
    const allowInitiated = plan.dynamicRules.find((r) => r.id === RULE_IDS.allowInitiated)!;
    expect(allowPages).toMatchObject({ action: { type: 'allowAllRequests' }, condition: { requestDomains: ['shop.test'], resourceTypes: ['main_frame'] } });
    expect(allowInitiated).toMatchObject({ action: { type: 'allow' }, condition: { initiatorDomains: ['shop.test'], excludedResourceTypes: ['main_frame'] } });
    const highestBlock = Math.max(...plan.dynamicRules.filter((r) => r.action.type !== 'allow' && r.action.type !== 'allowAllRequests').map((r) => r.priority));
    expect(allowPages.priority).toBeGreaterThan(highestBlock);
  });

  it('private windows\' learned hosts and "Continue once" passes are session rules (memory only)', () => {
    const plan = planRules(input(new ProtectionPolicy(settingsWith({ mode: 'block' })), { learnedPrivate: ['p.test'], passes: [{ tabId: 4, host: 'enrichgw.10010.com' }] }));
    expect(plan.dynamicRules.some((r) => JSON.stringify(r).includes('p.test'))).toBe(false);
    expect(plan.sessionRules).toEqual([
      { id: RULE_IDS.sessionBlockLearned, priority: 1, action: { type: 'block' }, condition: { requestDomains: ['p.test'], excludedResourceTypes: ['main_frame'] } },
      expect.objectContaining({ id: RULE_IDS.sessionRedirectLearned, condition: expect.objectContaining({ requestDomains: ['p.test'] }) }),
      { id: RULE_IDS.firstPass, priority: 5, action: { type: 'allowAllRequests' }, condition: { requestDomains: ['enrichgw.10010.com'], resourceTypes: ['main_frame'], tabIds: [4] } },
    ]);
  });
});
