import { describe, expect, it } from 'vitest';
import { applyManagedPolicy, isLocked, MANAGED_KEYS, MANAGED_NOTE, NO_MANAGED_POLICY, parseManagedPolicy, type ManagedPolicy } from './managed-settings.ts';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from './settings.ts';

const VALID = {
  protection: 'block',
  blockPhoneLogin: true,
  operators: ['china-mobile', 'china-unicom'],
  minConfidence: 'high',
  allowlist: ['Intranet.Example', '*.partner.test'],
  customDomains: [{ domain: 'Flagged.TEST', operator: 'china-mobile' }],
  customCidrs: [{ cidr: '198.51.100.0/24', operator: 'china-telecom' }],
  lockSettings: true,
  dataUpdates: true,
  dataUpdateUrl: 'https://Mirror.Example.org/cw/data.cwdata#latest',
};

const MIRROR = 'https://mirror.example.org/cw/data.cwdata';

const USER: Settings = {
  ...DEFAULT_SETTINGS,
  enabledOperators: ['china-telecom'],
  minConfidence: 'low',
  user: {
    asns: [{ asn: 4134, operatorId: 'china-telecom' }],
    cidrs: [{ cidr: '203.0.113.0/24', operatorId: 'custom' }],
    domains: [{ domain: 'mine.test', operatorId: 'custom' }],
    allowlist: ['example.com'],
  },
  logRetentionDays: 7,
  notifications: { flagged: true, phoneLogin: false },
  protection: { mode: 'warn', blockPhoneLogin: false, allowedSites: ['shop.example'] },
};

describe('parseManagedPolicy', () => {
  it('reads nothing from no policy', () => {
    for (const raw of [undefined, null, {}]) expect(parseManagedPolicy(raw)).toEqual({ policy: {}, problems: [], keys: [] });
    expect(Object.isFrozen(NO_MANAGED_POLICY)).toBe(true);
    expect(Object.isFrozen(NO_MANAGED_POLICY.policy)).toBe(true);
  });

  it('reads every key, normalized', () => {
    const reading = parseManagedPolicy(VALID);
    expect(reading.problems).toEqual([]);
    expect(reading.keys).toEqual([...MANAGED_KEYS]);
    expect(reading.policy).toEqual({
      protection: 'block',
      blockPhoneLogin: true,
      operators: ['china-mobile', 'china-unicom'],
      minConfidence: 'high',
      allowlist: ['intranet.example', 'partner.test'],
      customDomains: [{ domain: 'flagged.test', operatorId: 'china-mobile', note: MANAGED_NOTE }],
      customCidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-telecom', note: MANAGED_NOTE }],
      lockSettings: true,
      dataUpdates: true,
      dataUpdateUrl: MIRROR,
    });
  });

  it('reads the shape Chrome policy and Firefox policies.json hand over', () => {
    const reading = parseManagedPolicy(JSON.parse('{ "protection": "block", "customDomains": [{ "domain": "flagged.test", "operator": "china-mobile" }] }'));
    expect(reading).toEqual({
      policy: { protection: 'block', customDomains: [{ domain: 'flagged.test', operatorId: 'china-mobile', note: 'Set by your organisation' }] },
      problems: [],
      keys: ['protection', 'customDomains'],
    });
  });

  it('drops duplicates, keeping the first', () => {
    const reading = parseManagedPolicy({ operators: ['custom', 'custom'], allowlist: ['a.test', 'A.test'], customCidrs: [{ cidr: '10.0.0.0/8', operator: 'custom' }, { cidr: '10.0.0.0/8', operator: 'china-mobile' }] });
    expect(reading.policy.operators).toEqual(['custom']);
    expect(reading.policy.allowlist).toEqual(['a.test']);
    expect(reading.policy.customCidrs).toEqual([{ cidr: '10.0.0.0/8', operatorId: 'custom', note: MANAGED_NOTE }]);
  });

  // Each bad value alone: its key is ignored with a reason, every other key still applies.
  const BAD: Array<[keyof typeof VALID, unknown, RegExp]> = [
    ['protection', 'stop', /^"stop" is not "warn" or "block"$/],
    ['protection', true, /^true is not "warn" or "block"$/],
    ['blockPhoneLogin', 'yes', /^"yes" is not true or false$/],
    ['operators', [], /empty list would switch all flagging off/],
    ['operators', ['china-mobile', 'china-foo'], /item 2: "china-foo" is not one of china-mobile, china-telecom, china-unicom, custom/],
    ['operators', 'china-mobile', /"china-mobile" is not a list of operator ids/],
    ['minConfidence', 'extreme', /^"extreme" is not high, medium or low$/],
    ['allowlist', ['ok.test', 'not a site'], /item 2: site "not a site"/],
    ['allowlist', 'ok.test', /is not a list of sites/],
    ['customDomains', [{ domain: 'ok.test', operator: 'custom' }, { domain: 'bad domain', operator: 'custom' }], /item 2: domain "bad domain"/],
    ['customDomains', [{ domain: 'ok.test', operator: 'china-foo' }], /item 1: domain "ok.test": operator "china-foo" is not one of/],
    ['customDomains', [{ domain: 'ok.test' }], /item 1: domain "ok.test": no "operator" \(one of china-mobile/],
    ['customDomains', ['ok.test'], /item 1: "ok.test" is not an object with "domain" and "operator"/],
    ['customCidrs', [{ cidr: '10.0.0.1/8', operator: 'custom' }], /item 1: CIDR "10.0.0.1\/8": has host bits set; did you mean 10.0.0.0\/8\?/],
    ['customCidrs', {}, /is not a list of/],
    ['lockSettings', 1, /^1 is not true or false$/],
    ['dataUpdates', 'on', /^"on" is not true or false$/],
    ['dataUpdateUrl', 'http://mirror.example.org/data.cwdata', /must be https \(plain http only to 127\.0\.0\.1 or localhost\)/],
    ['dataUpdateUrl', 'ftp://127.0.0.1/data.cwdata', /must be https/],
    ['dataUpdateUrl', 'mirror.example.org/data.cwdata', /is not a URL/],
    ['dataUpdateUrl', '', /must be a non-empty string/],
    ['dataUpdateUrl', 42, /must be a non-empty string/],
    ['dataUpdateUrl', 'https://me:secret@mirror.example.org/data.cwdata', /must not carry a user name or password/],
  ];
  for (const [key, value, reason] of BAD) {
    it(`ignores ${key}: ${JSON.stringify(value)} alone, and applies the rest`, () => {
      const reading = parseManagedPolicy({ ...VALID, [key]: value });
      expect(reading.problems).toHaveLength(1);
      expect(reading.problems[0]!.key).toBe(key);
      expect(reading.problems[0]!.reason).toMatch(reason);
      expect(reading.keys).toEqual(MANAGED_KEYS.filter((k) => k !== key));
      expect(reading.policy).not.toHaveProperty(key);
      expect(Object.keys(reading.policy)).toHaveLength(MANAGED_KEYS.length - 1);
    });
  }

  it('reports unknown keys and ignores them', () => {
    const reading = parseManagedPolicy({ protection: 'block', blockAll: true });
    expect(reading.problems).toEqual([{ key: 'blockAll', reason: 'not a Carrier Watch setting' }]);
    expect(reading.policy).toEqual({ protection: 'block' });
    expect(reading.keys).toEqual(['protection']);
  });

  it('reports a policy that is not an object as one problem', () => {
    for (const raw of ['block', 3, [VALID], true]) {
      const reading = parseManagedPolicy(raw);
      expect(reading.policy).toEqual({});
      expect(reading.keys).toEqual([]);
      expect(reading.problems).toHaveLength(1);
      expect(reading.problems[0]!.key).toBe('*');
    }
  });
});

describe('applyManagedPolicy', () => {
  const full = parseManagedPolicy(VALID).policy;

  it('changes nothing without a policy', () => {
    expect(applyManagedPolicy(USER, {})).toEqual(USER);
  });

  it('puts every managed value in place of the user\'s', () => {
    const applied = applyManagedPolicy(USER, full);
    expect(applied).toEqual({
      ...USER,
      enabledOperators: ['china-mobile', 'china-unicom'],
      minConfidence: 'high',
      user: {
        asns: USER.user.asns,
        cidrs: [{ cidr: '198.51.100.0/24', operatorId: 'china-telecom', note: MANAGED_NOTE }],
        domains: [{ domain: 'flagged.test', operatorId: 'china-mobile', note: MANAGED_NOTE }],
        allowlist: ['intranet.example', 'partner.test'],
      },
      protection: { mode: 'block', blockPhoneLogin: true, allowedSites: [] },
      dataUpdates: { enabled: true, url: MIRROR },
    });
  });

  it('sets data updates and the mirror each on its own, keeping the user\'s other half', () => {
    const user: Settings = { ...USER, dataUpdates: { enabled: true, url: 'http://127.0.0.1:8080/data.cwdata' } };
    expect(applyManagedPolicy(user, { dataUpdates: false }).dataUpdates).toEqual({ enabled: false, url: 'http://127.0.0.1:8080/data.cwdata' });
    expect(applyManagedPolicy(USER, { dataUpdateUrl: MIRROR }).dataUpdates).toEqual({ enabled: false, url: MIRROR });
    expect(applyManagedPolicy(user, {}).dataUpdates).toEqual(user.dataUpdates);
  });

  it('applies a valid data update policy even when the other keys are bad', () => {
    const reading = parseManagedPolicy({ dataUpdates: true, dataUpdateUrl: 'http://localhost:9000/x.cwdata', protection: 'stop' });
    expect(reading.keys).toEqual(['dataUpdates', 'dataUpdateUrl']);
    expect(applyManagedPolicy(DEFAULT_SETTINGS, reading.policy).dataUpdates).toEqual({ enabled: true, url: 'http://localhost:9000/x.cwdata' });
  });

  it('keeps the user\'s own values for every key not managed, their site exceptions too when not locked', () => {
    const applied = applyManagedPolicy(USER, { protection: 'block', lockSettings: false });
    expect(applied).toEqual({ ...USER, protection: { ...USER.protection, mode: 'block' } });
  });

  it('drops the user\'s exceptions when the settings are locked: "Allow on this site" and their own allowlist', () => {
    const locked = applyManagedPolicy(USER, { lockSettings: true });
    expect(locked.protection.allowedSites).toEqual([]);
    expect(locked.user.allowlist).toEqual([]);
    expect(applyManagedPolicy(USER, { lockSettings: true, allowlist: ['intranet.example'] }).user.allowlist).toEqual(['intranet.example']);
    expect(applyManagedPolicy(USER, { lockSettings: false }).user.allowlist).toEqual(['example.com']);
    expect(USER.protection.allowedSites).toEqual(['shop.example']);
  });

  it('never changes its inputs, and shares no list with the policy', () => {
    const before = JSON.stringify([USER, full]);
    const applied = applyManagedPolicy(USER, full);
    applied.enabledOperators.push('custom');
    applied.user.domains[0]!.domain = 'changed.test';
    expect(JSON.stringify([USER, full])).toBe(before);
  });

  it('gives settings that parseSettings accepts unchanged', () => {
    const policies: ManagedPolicy[] = [{}, full, { operators: ['custom'] }, parseManagedPolicy({ allowlist: [] }).policy];
    for (const policy of policies) {
      const applied = applyManagedPolicy(USER, policy);
      expect(parseSettings(JSON.parse(JSON.stringify(applied)))).toEqual({ ok: true, value: applied });
    }
  });
});

describe('isLocked', () => {
  it('locks the managed keys only, or everything with lockSettings', () => {
    const some = parseManagedPolicy({ minConfidence: 'high', lockSettings: false });
    expect(isLocked(some, 'minConfidence')).toBe(true);
    expect(isLocked(some, 'operators')).toBe(false);
    expect(isLocked(some, 'other')).toBe(false);
    const locked = parseManagedPolicy({ lockSettings: true });
    for (const key of [...MANAGED_KEYS, 'other' as const]) expect(isLocked(locked, key), key).toBe(true);
    expect(isLocked(NO_MANAGED_POLICY, 'protection')).toBe(false);
    expect(isLocked(parseManagedPolicy({ dataUpdates: false }), 'dataUpdates')).toBe(true);
    expect(isLocked(parseManagedPolicy({ dataUpdateUrl: MIRROR }), 'dataUpdates')).toBe(false);
  });
});
