// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DataStatus } from '../background/messages.ts';
import { DEFAULT_SETTINGS, type Settings } from '../engine/settings.ts';
import { formatDateTime } from '../ui/format.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { dataCheck, dataStatus, updatesOn } from '../ui/test-fixtures.ts';
import { settle, useLocale } from '../ui/test-support.ts';
import { OptionsApp } from './options-app.tsx';

interface FakeOptionsApi extends OptionsApi {
  stored: Record<string, unknown>;
  writes: number;
  saved: Array<{ name: string; text: string }>;
  grant: boolean;
  fire: () => void;
  /** What storage.managed holds (the organisation's policy), unchecked. */
  policy: unknown;
  fireManaged: () => void;
  /** What get-data-status answers once `script` is used up. */
  data: DataStatus;
  /** Answers to the next get-data-status calls, in order (a check the background runs). */
  script: DataStatus[];
  statusReads: number;
}

const STORED: Settings = {
  ...DEFAULT_SETTINGS,
  user: { asns: [], cidrs: [{ cidr: '203.0.113.0/24', operatorId: 'china-telecom' }], domains: [], allowlist: [] },
};

function fakeApi(): FakeOptionsApi {
  const listeners = new Set<() => void>();
  const managedListeners = new Set<() => void>();
  const api: FakeOptionsApi = {
    stored: { settings: STORED },
    writes: 0,
    saved: [],
    grant: true,
    fire: () => listeners.forEach((l) => l()),
    policy: {},
    fireManaged: () => managedListeners.forEach((l) => l()),
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
    managed: async () => api.policy,
    onManagedChanged: (listener) => {
      managedListeners.add(listener);
      return () => managedListeners.delete(listener);
    },
    clearAllData: vi.fn(async () => undefined),
    requestNotifications: vi.fn(async () => api.grant),
    releaseNotifications: vi.fn(async () => undefined),
    data: dataStatus(),
    script: [],
    statusReads: 0,
    getDataStatus: async () => {
      api.statusReads++;
      return api.script.shift() ?? api.data;
    },
    checkDataNow: vi.fn(async () => api.data),
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
    const privacy = root.querySelector('[data-testid=privacy]')!.textContent;
    expect(privacy).toContain('Nothing about your browsing leaves this computer.');
    expect(privacy).toContain('no network request of its own unless you or your organisation turn on network data updates');
    expect(privacy).toContain('at most once a day and when you press "Check now", it sends one GET request to the update URL, with no cookies, no referrer and nothing about the pages you visit');
    expect(privacy).toContain('your IP address and your browser\'s usual headers (User-Agent, language)');
  });

  it('switches protection to block and saves it at once, without Save', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    const warn = root.querySelector<HTMLInputElement>('[data-testid=protection-mode-warn]')!;
    const block = root.querySelector<HTMLInputElement>('[data-testid=protection-mode-block]')!;
    expect(warn.checked).toBe(true);
    expect(warn.name).toBe('protection-mode');
    expect(root.querySelector('section')!.getAttribute('data-testid')).toBe('protection-section'); // first, above the operators
    block.click();
    await settle();
    expect(api.writes).toBe(1);
    expect((api.stored['settings'] as Settings).protection).toEqual({ mode: 'block', blockPhoneLogin: false, allowedSites: [] });
    expect(block.checked).toBe(true);
    expect(root.querySelector('[data-testid=form-status]')!.textContent).toBe('Protection saved; it applies at once.');
    expect(root.querySelector('.dirty')!.textContent).toBe('');
  });

  it('saves the phone-login switch at once, and keeps an edit in progress out of it', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    type(root.querySelector<HTMLInputElement>('#retention-days')!, '12');
    await settle();
    root.querySelector<HTMLInputElement>('[data-testid=block-phone-login]')!.click();
    await settle();
    const stored = api.stored['settings'] as Settings;
    expect(stored.protection).toEqual({ mode: 'warn', blockPhoneLogin: true, allowedSites: [] });
    expect(stored.logRetentionDays).toBe(30); // not saved yet: still waits for Save
    expect(root.querySelector('.dirty')!.textContent).toBe('Unsaved changes');
    expect(root.querySelector('[data-testid=form-status]')!.textContent).not.toContain('changed elsewhere');

    root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
    await settle();
    expect(api.stored['settings']).toEqual({ ...STORED, logRetentionDays: 12, protection: { mode: 'warn', blockPhoneLogin: true, allowedSites: [] } });
  });

  it('lists the sites where blocking is off and removes one at once', async () => {
    const api = fakeApi();
    api.stored['settings'] = { ...STORED, protection: { mode: 'block', blockPhoneLogin: false, allowedSites: ['shop.example', 'news.example'] } };
    render(<OptionsApp api={api} />, root);
    await settle();
    const items = () => [...root.querySelectorAll('[data-testid=allowed-sites] li')];
    expect(items().map((li) => li.querySelector('.site-name')!.textContent)).toEqual(['shop.example', 'news.example']);
    expect(root.querySelector('[data-testid=allowed-sites-empty]')).toBeNull();
    items()[0]!.querySelector('button')!.click();
    await settle();
    expect((api.stored['settings'] as Settings).protection.allowedSites).toEqual(['news.example']);
    expect(items()).toHaveLength(1);
    items()[0]!.querySelector('button')!.click();
    await settle();
    expect((api.stored['settings'] as Settings).protection).toEqual({ mode: 'block', blockPhoneLogin: false, allowedSites: [] });
    expect(root.querySelector('[data-testid=allowed-sites-empty]')!.textContent).toBe('None: blocking applies on every site.');
  });

  it('loses no protection change made in quick succession', async () => {
    const api = fakeApi();
    api.stored['settings'] = { ...STORED, protection: { mode: 'warn', blockPhoneLogin: false, allowedSites: ['shop.example', 'news.example'] } };
    render(<OptionsApp api={api} />, root);
    await settle();
    const [first, second] = [...root.querySelectorAll<HTMLButtonElement>('[data-testid=allowed-sites] button')];
    first!.click();
    second!.click();
    root.querySelector<HTMLInputElement>('[data-testid=protection-mode-block]')!.click();
    await settle(10);
    expect((api.stored['settings'] as Settings).protection).toEqual({ mode: 'block', blockPhoneLogin: false, allowedSites: [] });
    expect(api.writes).toBe(3);
  });

  it('follows a site allowed from the popup while the page is open', async () => {
    const api = fakeApi();
    render(<OptionsApp api={api} />, root);
    await settle();
    api.stored['settings'] = { ...STORED, protection: { ...STORED.protection, allowedSites: ['shop.example'] } };
    api.fire();
    await settle();
    expect(root.querySelector('[data-testid=allowed-sites] li')!.textContent).toContain('shop.example');
  });

  describe("the organisation's settings", () => {
    const POLICY = {
      protection: 'block',
      minConfidence: 'high',
      customDomains: [{ domain: 'flagged.test', operator: 'china-mobile' }],
    };
    const managedAttr = (selector: string) => {
      const el = root.querySelector<HTMLInputElement>(selector)!;
      return { disabled: el.disabled, managed: el.getAttribute('data-managed') };
    };

    it('shows the managed values, disables and marks their controls, and never stores them', async () => {
      const api = fakeApi();
      api.policy = POLICY;
      render(<OptionsApp api={api} />, root);
      await settle();
      expect(root.querySelector('[data-testid=managed-banner]')!.textContent).toContain('Your organisation manages some of these settings');
      expect(root.querySelector('[data-testid=managed-problems]')).toBeNull();
      expect(root.querySelector<HTMLInputElement>('[data-testid=protection-mode-block]')!.checked).toBe(true);
      expect(managedAttr('[data-testid=protection-mode-block]')).toEqual({ disabled: true, managed: 'true' });
      expect(managedAttr('[data-testid=protection-mode-warn]')).toEqual({ disabled: true, managed: 'true' });
      expect(root.querySelector<HTMLInputElement>('input[name=confidence][value=high]')!.checked).toBe(true);
      expect(managedAttr('input[name=confidence][value=low]')).toEqual({ disabled: true, managed: 'true' });
      expect(root.querySelector<HTMLInputElement>('[data-list=domains] input.entry-value')!.value).toBe('flagged.test');
      for (const el of root.querySelectorAll<HTMLInputElement | HTMLButtonElement>('[data-list=domains] input, [data-list=domains] select, [data-list=domains] button')) {
        expect({ disabled: el.disabled, managed: el.getAttribute('data-managed') }, el.outerHTML).toEqual({ disabled: true, managed: 'true' });
      }
      expect(root.querySelectorAll('[data-testid=managed-note]')).toHaveLength(3);
      expect(root.querySelector('[data-testid=managed-note]')!.textContent).toBe('Set by your organisation');
      // What is not managed stays the user's to change.
      expect(managedAttr('[data-testid=block-phone-login]')).toEqual({ disabled: false, managed: null });
      expect(managedAttr('input[data-operator=china-mobile]')).toEqual({ disabled: false, managed: null });
      expect(managedAttr('[data-list=cidrs] input.entry-value')).toEqual({ disabled: false, managed: null });

      // Saving another field stores the user's own values of the managed keys, untouched.
      type(root.querySelector<HTMLInputElement>('#retention-days')!, '12');
      await settle();
      root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
      await settle();
      expect(api.stored['settings']).toEqual({ ...STORED, logRetentionDays: 12 });
      // So does a protection change saved at once.
      root.querySelector<HTMLInputElement>('[data-testid=block-phone-login]')!.click();
      await settle();
      expect((api.stored['settings'] as Settings).protection).toEqual({ mode: 'warn', blockPhoneLogin: true, allowedSites: [] });
      expect(root.querySelector<HTMLInputElement>('[data-testid=protection-mode-block]')!.checked).toBe(true);
    });

    it('lists a bad managed value and applies the valid ones', async () => {
      const api = fakeApi();
      api.policy = { protection: 'block', minConfidence: 'extreme', colour: 'red' };
      render(<OptionsApp api={api} />, root);
      await settle();
      const problems = [...root.querySelectorAll('[data-testid=managed-problems] li')].map((li) => li.textContent);
      expect(problems).toEqual([
        'Your organisation\'s setting "minConfidence" was ignored: "extreme" is not high, medium or low',
        'Your organisation\'s setting "colour" was ignored: not a Carrier Watch setting',
      ]);
      expect(managedAttr('[data-testid=protection-mode-block]')).toEqual({ disabled: true, managed: 'true' });
      expect(root.querySelector<HTMLInputElement>('[data-testid=protection-mode-block]')!.checked).toBe(true);
      expect(root.querySelector<HTMLInputElement>('input[name=confidence][value=medium]')!.checked).toBe(true);
      expect(managedAttr('input[name=confidence][value=high]')).toEqual({ disabled: false, managed: null });
    });

    it('says why a policy that is not an object was ignored', async () => {
      const api = fakeApi();
      api.policy = ['block'];
      render(<OptionsApp api={api} />, root);
      await settle();
      expect(root.querySelector('[data-testid=managed-problems] li')!.textContent).toBe('Your organisation\'s settings were ignored: the policy must be an object of settings (got ["block"])');
      expect(root.querySelector('[data-testid=managed-banner]')).toBeNull();
    });

    it('disables everything that changes settings when the settings are locked', async () => {
      const api = fakeApi();
      api.stored['settings'] = { ...STORED, protection: { mode: 'warn', blockPhoneLogin: false, allowedSites: ['shop.example'] } };
      api.policy = { lockSettings: true, minConfidence: 'high' };
      render(<OptionsApp api={api} />, root);
      await settle();
      expect(root.querySelector('[data-testid=managed-banner]')!.textContent).toBe('Your organisation has locked these settings: nothing on this page can be changed.');
      const controls = [...root.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, select, textarea, button')];
      const enabled = controls.filter((el) => !el.disabled).map((el) => el.getAttribute('data-testid'));
      expect(enabled).toEqual(['export-settings']); // reading the settings out changes nothing
      expect(controls.length).toBeGreaterThan(15);
      // The organisation decides where blocking is off: the user's exceptions are not in force.
      expect(root.querySelectorAll('[data-testid=allowed-sites] li')).toHaveLength(0);
      expect(managedAttr('input[name=confidence][value=high]')).toEqual({ disabled: true, managed: 'true' });
      expect(managedAttr('#retention-days')).toEqual({ disabled: true, managed: null });
    });

    it('follows a policy pushed while the page is open', async () => {
      const api = fakeApi();
      render(<OptionsApp api={api} />, root);
      await settle();
      expect(root.querySelector('[data-testid=managed-banner]')).toBeNull();
      api.policy = { operators: ['china-telecom'] };
      api.fireManaged();
      await settle();
      expect(root.querySelector('[data-testid=managed-banner]')).not.toBeNull();
      expect(root.querySelector<HTMLInputElement>('input[data-operator=china-mobile]')!.checked).toBe(false);
      expect(managedAttr('input[data-operator=china-telecom]')).toEqual({ disabled: true, managed: 'true' });
      api.policy = {};
      api.fireManaged();
      await settle();
      expect(root.querySelector<HTMLInputElement>('input[data-operator=china-mobile]')!.checked).toBe(true);
      expect(managedAttr('input[data-operator=china-telecom]')).toEqual({ disabled: false, managed: null });
    });

    it('treats a policy that cannot be read as none', async () => {
      const api = fakeApi();
      api.managed = async () => Promise.reject(new Error('Managed storage manifest not found'));
      render(<OptionsApp api={api} />, root);
      await settle();
      expect(root.querySelector('[data-ready=true]')).not.toBeNull();
      expect(root.querySelector('[data-testid=managed-banner]')).toBeNull();
    });
  });

  describe('network data', () => {
    const POLL = { everyMs: 2, forMs: 2000 };
    const q = <T extends Element = HTMLElement>(testId: string) => root.querySelector<T>(`[data-testid=${testId}]`);
    const textOf = (testId: string) => q(testId)?.textContent ?? null;
    const box = () => q<HTMLInputElement>('data-updates')!;
    const checkNow = () => q<HTMLButtonElement>('data-check-now')!;
    const AT = dataCheck('failed').at;
    const APPLIED = dataStatus({ inUse: { version: '2026-11-30.4', dataDate: '2026-11-30', source: 'update', appliedAt: AT } });

    async function open(api: FakeOptionsApi) {
      render(<OptionsApp api={api} dataPoll={POLL} />, root);
      await settle();
    }

    it('shows the data shipped with the extension, updates off, nothing to check', async () => {
      const api = fakeApi();
      await open(api);
      expect(textOf('data-status')).toBe('Network data of 2026-06-17, verified — shipped with the extension');
      expect(box().checked).toBe(false);
      expect(box().disabled).toBe(false);
      expect(box().closest('label')!.textContent).toContain('Check for new network data once a day');
      expect(box().closest('label')!.textContent).toContain('signed by the Carrier Watch maintainers and verified before use; the request carries no cookies, identifiers or browsing data');
      expect(q('data-update-url')).toBeNull();
      expect(q('data-last-check')).toBeNull();
      expect(q('data-update-error')).toBeNull();
      expect(checkNow().disabled).toBe(true);
      expect(checkNow().textContent).toBe('Check now');
      // Between the other sections and Save: it is saved at once, its note shows in the form's status.
      expect(q('data-section')!.closest('form')).not.toBeNull();
    });

    it('shows an applied update, where checks go and how the last one went', async () => {
      const api = fakeApi();
      api.stored['settings'] = { ...STORED, dataUpdates: { enabled: true, url: null } };
      api.data = { ...updatesOn(APPLIED), lastCheck: dataCheck('applied', { version: '2026-11-30.4' }) };
      await open(api);
      expect(textOf('data-status')).toBe(`Network data of 2026-11-30, verified — update 2026-11-30.4 applied ${formatDateTime(AT)}`);
      expect(box().checked).toBe(true);
      expect(textOf('data-update-url')).toBe('Checks go to https://github.com/carrier-watch/carrier-watch/releases/latest/download/carrier-watch-data.cwdata');
      expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT)} — update 2026-11-30.4 verified and applied`);
      expect(q('data-update-error')).toBeNull();
      expect(checkNow().disabled).toBe(false);
    });

    it('says an update was rejected, why, and that the data in use was kept', async () => {
      const api = fakeApi();
      api.data = { ...updatesOn(dataStatus()), lastCheck: dataCheck('rejected', { message: 'the signature does not match the pinned key', version: '2026-12-01.0' }) };
      await open(api);
      expect(textOf('data-status')).toBe('Network data of 2026-06-17, verified — shipped with the extension');
      expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT)} — the update was rejected`);
      const error = q('data-update-error')!;
      expect(error.getAttribute('role')).toBe('alert');
      expect(error.textContent).toBe('the signature does not match the pinned key The data in use was kept.');
    });

    it('says an update could not be fetched, and no alert once a check is fine again', async () => {
      const api = fakeApi();
      api.data = { ...updatesOn(dataStatus()), lastCheck: dataCheck('failed', { message: 'HTTP 503 from mirror.example.org' }) };
      await open(api);
      expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT)} — the update could not be fetched`);
      expect(textOf('data-update-error')).toBe('HTTP 503 from mirror.example.org The data in use was kept.');

      api.data = { ...api.data, lastCheck: dataCheck('up-to-date', { at: AT + 60_000 }) };
      checkNow().click();
      await settle();
      expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT + 60_000)} — already up to date`);
      expect(q('data-update-error')).toBeNull();
    });

    it('while a check runs: "Checking…", disabled, and follows it to its end', async () => {
      const api = fakeApi();
      const running = { ...updatesOn(dataStatus()), checking: true };
      api.script = [running, running];
      api.data = { ...updatesOn(APPLIED), lastCheck: dataCheck('applied') };
      render(<OptionsApp api={api} dataPoll={{ everyMs: 30, forMs: 2000 }} />, root);
      await settle();
      expect(checkNow().disabled).toBe(true);
      expect(checkNow().textContent).toBe('Checking…');
      expect(textOf('data-last-check')).toBe('Last check: none yet');
      await vi.waitFor(() => expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT)} — update 2026-11-30.4 verified and applied`));
      expect(checkNow().disabled).toBe(false);
      expect(checkNow().textContent).toBe('Check now');
      const reads = api.statusReads;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(api.statusReads).toBe(reads); // done: no more polling
    });

    it('turning updates on saves dataUpdates.enabled at once and follows the first check', async () => {
      const api = fakeApi();
      await open(api);
      const running = { ...updatesOn(dataStatus()), checking: true };
      api.script = [dataStatus(), running, running];
      api.data = { ...updatesOn(APPLIED), lastCheck: dataCheck('applied', { version: '2026-11-30.4' }) };
      box().click();
      await settle();
      expect(api.writes).toBe(1);
      expect((api.stored['settings'] as Settings).dataUpdates).toEqual({ enabled: true, url: null });
      expect({ ...(api.stored['settings'] as Settings), dataUpdates: DEFAULT_SETTINGS.dataUpdates }).toEqual(STORED); // nothing else changed
      expect(box().checked).toBe(true);
      expect(textOf('form-status')).toBe('Network data updates are on: Carrier Watch checks now, then once a day.');
      expect(root.querySelector('.dirty')!.textContent).toBe('');
      await vi.waitFor(() => expect(textOf('data-status')).toContain('update 2026-11-30.4 applied'));
      expect(textOf('data-last-check')).toContain('update 2026-11-30.4 verified and applied');
      expect(api.script).toEqual([]);

      // And off again.
      api.data = { ...APPLIED, lastCheck: api.data.lastCheck };
      box().click();
      await settle();
      expect((api.stored['settings'] as Settings).dataUpdates).toEqual({ enabled: false, url: null });
      expect(textOf('form-status')).toBe('Network data updates are off: Carrier Watch makes no network request of its own.');
      expect(checkNow().disabled).toBe(true);
      expect(q('data-update-url')).toBeNull();
    });

    it('keeps the switch through Save and through a change made elsewhere while editing', async () => {
      const api = fakeApi();
      api.stored['settings'] = { ...STORED, dataUpdates: { enabled: true, url: 'https://mirror.example.org/cw.cwdata' } };
      await open(api);
      type(root.querySelector<HTMLInputElement>('#retention-days')!, '12');
      await settle();
      api.stored['settings'] = { ...(api.stored['settings'] as Settings), dataUpdates: { enabled: false, url: 'https://mirror.example.org/cw.cwdata' } };
      api.fire();
      await settle();
      expect(box().checked).toBe(false);
      root.querySelector<HTMLButtonElement>('[data-testid=save]')!.click();
      await settle();
      expect(api.stored['settings']).toEqual({ ...STORED, logRetentionDays: 12, dataUpdates: { enabled: false, url: 'https://mirror.example.org/cw.cwdata' } });
    });

    it('"Check now" asks the background, says "Checking…" while waiting, then shows the new status', async () => {
      const api = fakeApi();
      api.data = { ...updatesOn(dataStatus()), lastCheck: dataCheck('up-to-date') };
      let answer: (status: DataStatus) => void = () => undefined;
      api.checkDataNow = vi.fn(() => new Promise<DataStatus>((resolve) => (answer = resolve)));
      await open(api);
      checkNow().click();
      await settle();
      expect(api.checkDataNow).toHaveBeenCalledTimes(1);
      expect(checkNow().disabled).toBe(true);
      expect(checkNow().textContent).toBe('Checking…');
      answer({ ...updatesOn(APPLIED), lastCheck: dataCheck('applied', { at: AT + 1000, version: '2026-11-30.4' }) });
      await settle();
      expect(checkNow().disabled).toBe(false);
      expect(checkNow().textContent).toBe('Check now');
      expect(textOf('data-status')).toContain('update 2026-11-30.4 applied');
      expect(textOf('data-last-check')).toBe(`Last check: ${formatDateTime(AT + 1000)} — update 2026-11-30.4 verified and applied`);
    });

    it('says so when the background does not answer, and the rest of the page works', async () => {
      const api = fakeApi();
      api.getDataStatus = async () => Promise.reject(new Error('no network data status from the background'));
      await open(api);
      expect(root.querySelector('[data-ready=true]')).not.toBeNull();
      expect(q('data-status')).toBeNull();
      expect(textOf('data-background-error')).toBe("Carrier Watch's background did not answer: no network data status from the background");
      expect(checkNow().disabled).toBe(true);
      expect(box().disabled).toBe(false);

      api.getDataStatus = async () => updatesOn(dataStatus());
      api.checkDataNow = vi.fn(async () => Promise.reject(new Error('timed out')));
      box().click();
      await settle();
      checkNow().click();
      await settle();
      expect(textOf('data-background-error')).toBe("Carrier Watch's background did not answer: timed out");
      expect(checkNow().textContent).toBe('Check now');
    });

    it('stops following a check when the page closes', async () => {
      const api = fakeApi();
      api.data = { ...updatesOn(dataStatus()), checking: true };
      await open(api);
      await vi.waitFor(() => expect(api.statusReads).toBeGreaterThan(2));
      render(null, root);
      await settle(); // the read under way, if any, ends
      const reads = api.statusReads;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(api.statusReads).toBe(reads);
    });

    it("the organisation's switch: checked as set, disabled and marked; its mirror marked too", async () => {
      const api = fakeApi();
      api.policy = { dataUpdates: true, dataUpdateUrl: 'https://mirror.corp.example/cw.cwdata' };
      api.data = updatesOn(dataStatus(), { url: 'https://mirror.corp.example/cw.cwdata', enabledManaged: true, urlManaged: true });
      await open(api);
      expect(box().checked).toBe(true);
      expect(box().disabled).toBe(true);
      expect(box().getAttribute('data-managed')).toBe('true');
      expect(box().closest('label')!.querySelector('[data-testid=managed-note]')!.textContent).toBe('Set by your organisation');
      expect(textOf('data-update-url')).toBe('Checks go to https://mirror.corp.example/cw.cwdata Set by your organisation');
      expect(checkNow().disabled).toBe(false); // checking changes no setting
      box().click();
      await settle();
      expect(api.writes).toBe(0);
    });

    it('disabled when only the background reports the switch as managed, or the settings are locked', async () => {
      const api = fakeApi();
      api.data = dataStatus({ updates: { ...dataStatus().updates, enabled: false, enabledManaged: true } });
      await open(api);
      expect(box().disabled).toBe(true);
      expect(box().getAttribute('data-managed')).toBe('true');
      render(null, root);

      const locked = fakeApi();
      locked.policy = { lockSettings: true };
      locked.data = dataStatus({ updates: { ...dataStatus().updates, enabledManaged: true, urlManaged: true } });
      await open(locked);
      expect(box().disabled).toBe(true);
      expect(box().getAttribute('data-managed')).toBeNull(); // the banner says everything is locked
    });
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
