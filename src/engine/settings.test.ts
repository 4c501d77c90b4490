import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_UPDATES, DEFAULT_NOTIFICATIONS, DEFAULT_SETTINGS, parseSettings, validateUpdateUrl } from './settings.ts';

describe('parseSettings: notifications', () => {
  it('reads settings stored before notifications existed as both off', () => {
    const result = parseSettings({ version: 1, minConfidence: 'high' });
    expect(result).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, minConfidence: 'high' } });
    expect(DEFAULT_SETTINGS.notifications).toEqual({ flagged: false, phoneLogin: false });
  });

  it('keeps each switch on its own', () => {
    const result = parseSettings({ notifications: { phoneLogin: true } });
    expect(result.ok && result.value.notifications).toEqual({ flagged: false, phoneLogin: true });
  });

  it('round-trips what it returns (the options page saves exactly that)', () => {
    const first = parseSettings({ notifications: { flagged: true, phoneLogin: true }, logRetentionDays: 7 });
    expect(first.ok).toBe(true);
    if (first.ok) expect(parseSettings(JSON.parse(JSON.stringify(first.value)))).toEqual(first);
  });

  it('rejects a non-boolean switch, an unknown key and a non-object, naming each', () => {
    const bad = parseSettings({ notifications: { flagged: 'yes', often: true } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.join('\n')).toMatch(/notifications "flagged" must be true or false/);
      expect(bad.errors.join('\n')).toMatch(/unknown notification setting "often"/);
    }
    const list = parseSettings({ notifications: [] });
    expect(list.ok).toBe(false);
  });

  it('never hands out the shared default object for mutation', () => {
    expect(Object.isFrozen(DEFAULT_NOTIFICATIONS)).toBe(true);
  });
});

describe('parseSettings: data updates', () => {
  const errorsOf = (raw: unknown): string => {
    const result = parseSettings(raw);
    return result.ok ? '' : result.errors.join('\n');
  };

  it('reads settings stored before data updates existed as off, with the default URL', () => {
    expect(parseSettings({ version: 1, minConfidence: 'high' })).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, minConfidence: 'high' } });
    expect(DEFAULT_SETTINGS.dataUpdates).toEqual({ enabled: false, url: null });
    expect(Object.isFrozen(DEFAULT_DATA_UPDATES)).toBe(true);
    expect(parseSettings({ dataUpdates: {} })).toEqual({ ok: true, value: DEFAULT_SETTINGS });
  });

  it('keeps the switch and a mirror, normalized, and round-trips them', () => {
    const first = parseSettings({ dataUpdates: { enabled: true, url: ' https://Mirror.Example.org/cw.cwdata#x ' } });
    expect(first.ok && first.value.dataUpdates).toEqual({ enabled: true, url: 'https://mirror.example.org/cw.cwdata' });
    if (first.ok) expect(parseSettings(JSON.parse(JSON.stringify(first.value)))).toEqual(first);
    expect(parseSettings({ dataUpdates: { enabled: true, url: null } })).toMatchObject({ ok: true, value: { dataUpdates: { enabled: true, url: null } } });
  });

  it('allows plain http to this machine only', () => {
    for (const url of ['http://127.0.0.1:8080/data.cwdata', 'http://localhost/data.cwdata']) {
      expect(validateUpdateUrl(url), url).toEqual({ ok: true, value: url });
    }
    for (const url of ['http://mirror.example.org/data.cwdata', 'http://127.0.0.2/data.cwdata', 'http://localhost.example.org/x', 'http://[::1]:9/data.cwdata']) {
      // Only what the extension pages' CSP admits (connect-src in manifest.json).
      expect(validateUpdateUrl(url), url).toEqual({ ok: false, errors: [`update URL "${url}" must be https (plain http only to 127.0.0.1 or localhost)`] });
    }
  });

  it('rejects a bad URL with an error that names it and says why', () => {
    expect(errorsOf({ dataUpdates: { url: 'not a url' } })).toBe('update URL "not a url" is not a URL');
    expect(errorsOf({ dataUpdates: { url: '' } })).toBe('update URL "" must be a non-empty string');
    expect(errorsOf({ dataUpdates: { url: 7 } })).toBe('update URL 7 must be a non-empty string');
    expect(errorsOf({ dataUpdates: { url: 'file:///etc/data.cwdata' } })).toMatch(/^update URL "file:\/\/\/etc\/data.cwdata" must be https/);
    expect(errorsOf({ dataUpdates: { url: 'https://me:pw@mirror.example.org/x' } })).toBe('update URL "https://me:pw@mirror.example.org/x" must not carry a user name or password');
  });

  it('rejects a non-boolean switch, an unknown key and a non-object, naming each, and keeps nothing of them', () => {
    const errors = errorsOf({ dataUpdates: { enabled: 'yes', interval: 3600 } });
    expect(errors).toMatch(/data updates "enabled" must be true or false \(got "yes"\)/);
    expect(errors).toMatch(/unknown data update setting "interval"/);
    expect(errorsOf({ dataUpdates: true })).toBe('"dataUpdates" must be an object');
    expect(errorsOf({ dataUpdates: [] })).toBe('"dataUpdates" must be an object');
    // A bad value elsewhere rejects the whole lot, the switch too.
    expect(parseSettings({ dataUpdates: { enabled: true }, minConfidence: 'extreme' }).ok).toBe(false);
  });
});
