import { describe, expect, it } from 'vitest';
import { classifierFor, LIST, settingsWith } from '../background/protection/test-fixtures.ts';
import { ProtectionPolicy, rulesetOf, staticRulesets } from './protection.ts';

describe('static rulesets', () => {
  it('one per operator and confidence, the phone-login gateways apart', () => {
    expect(staticRulesets(LIST).map((r) => [r.id, r.domains])).toEqual([
      ['china-mobile-high', ['10086.cn']],
      ['china-mobile-medium', ['cm-medium.cn']],
      ['phone-login-china-mobile-high', ['cmpassport.com']],
      ['phone-login-china-unicom-high', ['enrichgw.10010.com']],
    ]);
    expect(rulesetOf({ operatorId: 'china-unicom', confidence: 'low', tags: ['portal'] })).toEqual({ id: 'china-unicom-low', operatorId: 'china-unicom', confidence: 'low', phoneLogin: false });
  });
});

describe('ProtectionPolicy', () => {
  const sets = staticRulesets(LIST);
  const on = (policy: ProtectionPolicy) => sets.filter((r) => policy.rulesetOn(r)).map((r) => r.id);

  it('Warn: blocks nothing, no ruleset on', () => {
    const policy = new ProtectionPolicy(settingsWith({ mode: 'warn' }));
    expect(policy.active).toBe(false);
    expect(on(policy)).toEqual([]);
    expect(policy.reasonFor({ flagged: true, tags: ['phone-login'] })).toBeNull();
  });

  it('Block: every flagged destination, rulesets at or above the threshold of the operators on', () => {
    const settings = settingsWith({ mode: 'block' }, { minConfidence: 'high' });
    const policy = new ProtectionPolicy(settings);
    expect(policy.active).toBe(true);
    expect(on(policy)).toEqual(['china-mobile-high', 'phone-login-china-mobile-high', 'phone-login-china-unicom-high']);
    expect(policy.reasonFor(classifierFor(settings).classify({ host: 'x.10086.cn' }))).toBe('flagged');
    expect(policy.reasonFor(classifierFor(settings).classify({ host: 'example.com' }))).toBeNull();
    const noMobile = new ProtectionPolicy(settingsWith({ mode: 'block' }, { enabledOperators: ['china-unicom', 'china-telecom'] }));
    expect(on(noMobile)).toEqual(['phone-login-china-unicom-high']);
  });

  it('the phone-login switch alone: only the gateways, in Warn mode', () => {
    const settings = settingsWith({ mode: 'warn', blockPhoneLogin: true });
    const policy = new ProtectionPolicy(settings);
    expect(policy.active).toBe(true);
    expect(on(policy)).toEqual(['phone-login-china-mobile-high', 'phone-login-china-unicom-high']);
    const c = classifierFor(settings);
    expect(policy.reasonFor(c.classify({ host: 'www.cmpassport.com' }))).toBe('phone-login');
    expect(policy.reasonFor(c.classify({ host: 'www.10086.cn' }))).toBeNull();
    expect(policy.customDomains()).toEqual([]); // the user's own domains are not gateways
  });

  it('exempts "Allow on this site" and allowlisted sites, by host or registrable domain', () => {
    const base = settingsWith({ mode: 'block', allowedSites: ['shop.example'] });
    const policy = new ProtectionPolicy({ ...base, user: { ...base.user, allowlist: ['news.example.org'] } });
    expect(policy.exempt('shop.example')).toBe(true);
    expect(policy.exempt('www.shop.example')).toBe(true);
    expect(policy.exempt('news.example.org')).toBe(true);
    expect(policy.exempt('example.org')).toBe(false);
    expect(policy.exempt(null)).toBe(false);
    expect(policy.exemptList()).toEqual(['news.example.org', 'shop.example']);
  });

  it('blocks the user\'s own domains in Block mode when their operator is on', () => {
    const base = settingsWith({ mode: 'block' });
    const user = { ...base.user, domains: [{ domain: 'a.test', operatorId: 'custom' as const }, { domain: 'b.test', operatorId: 'china-mobile' as const }] };
    expect(new ProtectionPolicy({ ...base, user }).customDomains()).toEqual(['a.test', 'b.test']);
    expect(new ProtectionPolicy({ ...base, user, enabledOperators: ['custom'] }).customDomains()).toEqual(['a.test']);
  });
});
