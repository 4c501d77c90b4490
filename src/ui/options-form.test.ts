import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings, type Settings } from '../engine/settings.ts';
import { checkForm, formFromSettings, isDirty, newRowId } from './options-form.ts';
import { useLocale } from './test-support.ts';

beforeEach(() => useLocale('en'));

const stored: Settings = {
  ...DEFAULT_SETTINGS,
  minConfidence: 'high',
  user: {
    asns: [{ asn: 4134, operatorId: 'china-telecom', note: 'backbone' }],
    cidrs: [{ cidr: '203.0.113.0/24', operatorId: 'custom' }],
    domains: [{ domain: 'flagged.test', operatorId: 'china-mobile' }],
    allowlist: ['example.com'],
  },
  logRetentionDays: 7,
  notifications: { flagged: false, phoneLogin: true },
  // Not edited by the form, but Save must store it as it is.
  dataUpdates: { enabled: true, url: 'https://mirror.example.org/cw.cwdata' },
};

describe('the options form', () => {
  it('round-trips stored settings unchanged (opening and saving changes nothing)', () => {
    const form = formFromSettings(stored);
    expect(checkForm(form)).toEqual({ problems: {}, settings: stored });
    expect(isDirty(form, stored)).toBe(false);
  });

  it('gives no settings while any entry is bad, and names each bad entry', () => {
    const form = formFromSettings(stored);
    const bad = { id: newRowId(), value: '10.0.0.1/8', operatorId: 'custom' as const, note: '' };
    const badSite = { id: newRowId(), value: 'not a site', operatorId: 'custom' as const, note: '' };
    const check = checkForm({ ...form, cidrs: [...form.cidrs, bad], allowlist: [...form.allowlist, badSite], retentionDays: '0' });
    expect(check.settings).toBeNull();
    expect(check.problems[`cidrs:${bad.id}`]).toContain('"10.0.0.1/8"');
    expect(check.problems[`allowlist:${badSite.id}`]).toContain('"not a site"');
    expect(check.problems['retention']).toContain('"0"');
  });

  it('ignores rows not filled in yet, trims and normalizes what it saves', () => {
    const form = formFromSettings(DEFAULT_SETTINGS);
    const check = checkForm({
      ...form,
      domains: [
        { id: newRowId(), value: '  ', operatorId: 'custom', note: '' },
        { id: newRowId(), value: ' *.Flagged.TEST ', operatorId: 'china-unicom', note: '  cdn ' },
      ],
      asns: [{ id: newRowId(), value: 'as9808', operatorId: 'china-mobile', note: '' }],
    });
    expect(check.settings?.user.domains).toEqual([{ domain: 'flagged.test', operatorId: 'china-unicom', note: 'cdn' }]);
    expect(check.settings?.user.asns).toEqual([{ asn: 9808, operatorId: 'china-mobile' }]);
    expect(parseSettings(check.settings).ok).toBe(true);
  });

  it('is dirty after any change that would save something else', () => {
    const form = formFromSettings(stored);
    expect(isDirty({ ...form, minConfidence: 'low' }, stored)).toBe(true);
    expect(isDirty({ ...form, notifications: { flagged: true, phoneLogin: true } }, stored)).toBe(true);
  });
});
