// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, type Settings } from '../engine/settings.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { settle, useLocale } from '../ui/test-support.ts';
import { OptionsApp } from './options-app.tsx';

interface FakeOptionsApi extends OptionsApi {
  stored: Record<string, unknown>;
  writes: number;
  saved: Array<{ name: string; text: string }>;
  grant: boolean;
  fire: () => void;
}

const STORED: Settings = {
  ...DEFAULT_SETTINGS,
  user: { asns: [], cidrs: [{ cidr: '203.0.113.0/24', operatorId: 'china-telecom' }], domains: [], allowlist: [] },
};

function fakeApi(): FakeOptionsApi {
  const listeners = new Set<() => void>();
  const api: FakeOptionsApi = {
    stored: { settings: STORED },
    writes: 0,
    saved: [],
    grant: true,
    fire: () => listeners.forEach((l) => l()),
    settings: {
      get: async (key) => ({ [key]: api.stored[key] }),
      set: async (items) => {
        api.writes++;
        Object.assign(api.stored, items);
        api.fire();
      },
    },
    onSettingsChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clearAllData: vi.fn(async () => undefined),
    requestNotifications: vi.fn(async () => api.grant),
    releaseNotifications: vi.fn(async () => undefined),
    saveFile: (name, _mime, text) => void api.saved.push({ name, text }),
    version: '9.9.9',
    now: () => Date.UTC(2026, 10, 21, 14, 3),
  };
  return api;
}

let root: HTMLElement;
beforeEach(() => {
  useLocale('en');
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const button = (label: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === label)!;
function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
async function addCidr(value: string) {
  button('Add an address range').click();
  await settle();
  const inputs = root.querySelectorAll<HTMLInputElement>('[data-list=cidrs] input.entry-value');
  type(inputs[inputs.length - 1]!, value);
  await settle();
}

describe('OptionsApp', () => {
  it('shows the stored settings', async () => {
    render(<OptionsApp api={fakeApi()} />, root);
    await settle();
    expect(root.querySelector<HTMLInputElement>('[data-list=cidrs] input.entry-value')!.value).toBe('203.0.113.0/24');
    expect(root.querySelector<HTMLInputElement>('input[value=medium]')!.checked).toBe(true);
    expect(root.querySelectorAll('input[data-operator]')).toHaveLength(4);
  });

  it('checks a CIDR as it is typed, names it, and saves nothing while it is bad', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    await addCidr('10.0.0.1/8');
    const error = root.querySelector('[data-list=cidrs] [data-testid=field-error]')!;
    expect(error.textContent).toBe('"10.0.0.1/8" is not a valid CIDR range: the address has bits set past the prefix. Did you mean 10.0.0.0/8?');
    const field = root.querySelectorAll<HTMLInputElement>('[data-list=cidrs] input.entry-value')[1]!;
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toBe(error.id);

    root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
    await settle();
    expect(api.writes).toBe(0);
    expect(api.stored['settings']).toEqual(STORED);
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toContain('Not saved: 1 entries need fixing. Your previous settings are unchanged.');
    expect(document.activeElement).toBe(field);

    type(field, '10.0.0.0/8');
    await settle();
    expect(root.querySelector('[data-list=cidrs] [data-testid=field-error]')).toBeNull();
    root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
    await settle();
    expect(api.writes).toBe(1);
    expect((api.stored['settings'] as Settings).user.cidrs).toEqual([
      { cidr: '203.0.113.0/24', operatorId: 'china-telecom' },
      { cidr: '10.0.0.0/8', operatorId: 'custom' },
    ]);
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toBe('Saved.');
  });

  it('asks for the notifications permission when one is turned on, and stays off when refused', async () => {
    const api = fakeApi();
    api.grant = false;
    render(<OptionsApp api={api} />, root);
    await settle();
    const box = root.querySelector<HTMLInputElement>('[data-testid=notify-phone-login]')!;
    box.click();
    await settle();
    expect(api.requestNotifications).toHaveBeenCalledTimes(1);
    expect(box.checked).toBe(false);
    expect(root.textContent).toContain('did not grant the permission');

    api.grant = true;
    box.click();
    await settle();
    expect(box.checked).toBe(true);
    root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
    await settle();
    expect((api.stored['settings'] as Settings).notifications).toEqual({ flagged: false, phoneLogin: true });
  });

  it('imports a valid settings file, and a bad one changes nothing and says why', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    const input = root.querySelector<HTMLInputElement>('[data-testid=import-settings]')!;
    const choose = async (name: string, content: string) => {
      Object.defineProperty(input, 'files', { configurable: true, value: [new File([content], name, { type: 'application/json' })] });
      input.dispatchEvent(new Event('change', { bubbles: true }));
      await settle(10);
    };
    await choose('bad.json', JSON.stringify({ user: { cidrs: [{ cidr: '10.0.0.0/40', operatorId: 'custom' }] } }));
    expect(api.writes).toBe(0);
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toContain('bad.json was not imported; nothing changed:');
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toContain('CIDR "10.0.0.0/40"');

    await choose('junk.json', '{not json');
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toContain('not JSON');
    expect(api.writes).toBe(0);

    await choose('good.json', JSON.stringify({ ...DEFAULT_SETTINGS, logRetentionDays: 12 }));
    expect(api.writes).toBe(1);
    expect((api.stored['settings'] as Settings).logRetentionDays).toBe(12);
    expect(root.querySelector<HTMLInputElement>('#retention-days')!.value).toBe('12');
  });

  it('exports the stored settings as JSON that parses back', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    root.querySelector<HTMLButtonElement>('[data-testid=export-settings]')!.click();
    expect(api.saved[0]!.name).toBe('carrier-watch-settings-20261121-1403.json');
    expect(JSON.parse(api.saved[0]!.text)).toEqual(STORED);
  });

  it('clears all data only on the second click', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    const clear = root.querySelector<HTMLButtonElement>('[data-testid=clear-all]')!;
    clear.click();
    await settle();
    expect(api.clearAllData).not.toHaveBeenCalled();
    clear.click();
    await settle();
    expect(api.clearAllData).toHaveBeenCalledTimes(1);
  });

  it('follows a change made elsewhere when nothing is being edited', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    api.stored['settings'] = { ...STORED, user: { ...STORED.user, allowlist: ['example.com'] } };
    api.fire();
    await settle();
    expect(root.querySelector<HTMLInputElement>('[data-list=allowlist] input.entry-value')!.value).toBe('example.com');
  });

  it('shows the data source, its attribution and the privacy statement', async () => {
    render(<OptionsApp api={fakeApi()} />, root);
    await settle();
    expect(root.textContent).toContain('@ip-location-db/asn');
    expect(root.querySelector('[data-testid=attribution]')!.textContent).toContain('CC BY 4.0');
    expect(root.querySelector('[data-testid=privacy]')!.textContent).toContain('Nothing leaves this computer.');
  });

  it('labels every field', async () => {
    render(<OptionsApp api={fakeApi()} />, root);
    await settle();
    await addCidr('');
    for (const field of root.querySelectorAll('input:not([type=file]), select')) {
      const labelled = field.id !== '' && root.querySelector(`label[for="${field.id}"]`) !== null;
      const wrapped = field.closest('label') !== null;
      expect(labelled || wrapped, field.outerHTML).toBe(true);
    }
  });
});
