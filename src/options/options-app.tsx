import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isLocked, NO_MANAGED_POLICY, parseManagedPolicy, type ManagedReading } from '../engine/managed-settings.ts';
import type { Settings } from '../engine/settings.ts';
import { t, type MessageKey } from '../ui/i18n.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { checkForm, formFromSettings, isDirty, managedForm, shownForm, type OptionsForm } from '../ui/options-form.ts';
import { loadSettings, saveSettings } from '../ui/settings-store.ts';
import { AboutSection } from './about-section.tsx';
import { DataUpdatesSection, type DataPoll } from './data-updates-section.tsx';
import { ManagedNotice } from './managed-ui.tsx';
import { ProtectionSection } from './protection-section.tsx';
import { AllowlistSection, CustomEntriesSection, LogSection, NotificationsSection, OperatorsSection } from './sections.tsx';
import { SettingsFileSection, type ImportResult } from './settings-file-section.tsx';

// The options page. The form is edited freely and checked on every change;
// Save stores it only when every entry is valid, so the stored settings are
// always the previous ones or a complete valid set. Protection is the
// exception, and so is the switch for network data updates: each change
// there is saved at once.
//
// The organisation's settings (storage.managed) are shown in place of the
// user's, with their controls disabled, but the form and `saved` hold only
// the user's own settings: a managed value is never written to storage, so
// when the policy goes the user's choices come back.

type Status = { kind: 'ok' | 'error' | 'info'; text: string; details?: string[] };

const same = (a: Settings, b: Settings): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The parts of the settings saved at once by their own section, never waiting for Save. */
type AtOnce = 'protection' | 'dataUpdates';
type AtOnceParts = Pick<Settings, AtOnce>;

/** The form and the settings hold these parts alike. */
const partOf = <K extends AtOnce>(from: AtOnceParts, key: K): AtOnceParts[K] => from[key];

const savedMessage: { [K in AtOnce]: (value: AtOnceParts[K]) => MessageKey } = {
  protection: () => 'optProtectionSaved',
  dataUpdates: (value) => (value.enabled ? 'optDataUpdatesOn' : 'optDataUpdatesOff'),
};

export function OptionsApp({ api, dataPoll }: { api: OptionsApi; dataPoll?: DataPoll }) {
  const [saved, setSaved] = useState<Settings | null>(null);
  const [form, setForm] = useState<OptionsForm | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [managed, setManaged] = useState<ManagedReading>(NO_MANAGED_POLICY);
  const check = useMemo(() => (form ? checkForm(form) : null), [form]);
  const managedRows = useMemo(() => managedForm(managed), [managed]);
  const dirty = form !== null && saved !== null && isDirty(form, saved);
  const locked = isLocked(managed, 'other');
  const latest = useRef({ form, dirty, saved });
  latest.current = { form, dirty, saved };

  const readManaged = useCallback(async () => parseManagedPolicy(await api.managed().catch(() => ({}))), [api]);

  const load = useCallback(async () => {
    // Both before the first render, so a managed control is never shown enabled.
    const [loaded, reading] = await Promise.all([loadSettings(api.settings), readManaged()]);
    setManaged(reading);
    setSaved(loaded.settings);
    setForm(formFromSettings(loaded.settings));
    if (loaded.problems) setStatus({ kind: 'error', text: t('storedSettingsInvalid'), details: loaded.problems });
  }, [api, readManaged]);

  useEffect(() => {
    void load();
    const offManaged = api.onManagedChanged(async () => setManaged(await readManaged()));
    // Changed elsewhere (the popup's "don't warn here"): show it, unless the user is editing.
    const offSettings = api.onSettingsChanged(async () => {
      const loaded = await loadSettings(api.settings);
      const { form: current, dirty: editing, saved: before } = latest.current;
      const wouldSave = current ? checkForm(current).settings : null;
      if (wouldSave && same(wouldSave, loaded.settings)) return setSaved(loaded.settings);
      if (editing) {
        // What is saved at once follows storage even while the rest is being edited.
        const { protection, dataUpdates } = loaded.settings;
        setForm((f) => (f ? { ...f, protection, dataUpdates } : f));
        setSaved((s) => (s ? { ...s, protection, dataUpdates } : s));
        if (!before || !same({ ...before, protection, dataUpdates }, loaded.settings)) setStatus({ kind: 'info', text: t('changedElsewhere') });
        return;
      }
      setSaved(loaded.settings);
      setForm(formFromSettings(loaded.settings));
    });
    return () => {
      offManaged();
      offSettings();
    };
  }, [api, load, readManaged]);

  const change = useCallback((patch: Partial<OptionsForm>) => {
    setForm((f) => (f ? { ...f, ...patch } : f));
    setStatus(null);
  }, []);

  /** Writes saved at once, one after another: each reads what the previous one stored. */
  const atOnceWrites = useRef<Promise<unknown>>(Promise.resolve());

  /**
   * Saves one part at once, over what is stored now (the popup may have
   * changed it since); resolves true once stored, false when refused.
   */
  function changeAtOnce<K extends AtOnce>(key: K, update: (current: AtOnceParts[K]) => AtOnceParts[K]): Promise<boolean> {
    setForm((f) => (f ? { ...f, [key]: update(partOf(f, key)) } : f));
    const write = atOnceWrites.current.then(async () => {
      try {
        const stored = await loadSettings(api.settings);
        const result = await saveSettings(api.settings, { ...stored.settings, [key]: update(partOf(stored.settings, key)) });
        if (!result.ok) throw new Error(result.errors.join('; '));
        const value = partOf(result.value, key);
        setForm((f) => (f ? { ...f, [key]: value } : f));
        setSaved((s) => (s ? { ...s, [key]: value } : s));
        setStatus({ kind: 'ok', text: t(savedMessage[key](value)) });
        return true;
      } catch (error) {
        // Show what is really stored again, and why the change did not stick.
        const stored = await loadSettings(api.settings).catch(() => null);
        if (stored) setForm((f) => (f ? { ...f, [key]: stored.settings[key] } : f));
        setStatus({ kind: 'error', text: t('errorSettings', error instanceof Error ? error.message : String(error)) });
        return false;
      }
    });
    atOnceWrites.current = write;
    return write;
  }

  function changeProtection(update: (current: Settings['protection']) => Settings['protection']) {
    if (!locked) void changeAtOnce('protection', update);
  }

  async function changeDataUpdates(enabled: boolean): Promise<boolean> {
    if (isLocked(managed, 'dataUpdates')) return false;
    return changeAtOnce('dataUpdates', (current) => ({ ...current, enabled }));
  }

  async function save() {
    if (!check || locked) return;
    if (!check.settings) {
      const problems = Object.values(check.problems);
      setStatus({ kind: 'error', text: t('saveBlocked', String(problems.length)), details: problems });
      document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    const result = await saveSettings(api.settings, check.settings);
    if (!result.ok) return setStatus({ kind: 'error', text: t('saveBlocked', String(result.errors.length)), details: result.errors });
    setSaved(result.value);
    if (!result.value.notifications.flagged && !result.value.notifications.phoneLogin) await api.releaseNotifications().catch(() => undefined);
    setStatus({ kind: 'ok', text: t('saved') });
  }

  async function onImport(fileName: string, result: ImportResult) {
    if (locked) return;
    if (!result.ok) return setStatus({ kind: 'error', text: t('importRejected', fileName), details: [result.reason] });
    const stored = await saveSettings(api.settings, result.settings);
    if (!stored.ok) return setStatus({ kind: 'error', text: t('importRejected', fileName), details: stored.errors });
    setSaved(stored.value);
    setForm(formFromSettings(stored.value));
    setStatus({ kind: 'ok', text: t('imported', fileName) });
  }

  async function clearAll() {
    try {
      await api.clearAllData();
      setStatus({ kind: 'ok', text: t('clearedAll') });
    } catch (error) {
      setStatus({ kind: 'error', text: t('errorBackground', error instanceof Error ? error.message : String(error)) });
    }
  }

  if (!form || !saved || !check) return <p class="loading">{t('popupLoading')}</p>;
  const shown = shownForm(form, managedRows, managed);
  const props = { form: shown, managed, problems: check.problems, change };
  return (
    <div class="options" data-ready="true">
      <header class="options-header">
        <h1>{t('optionsTitle')}</h1>
        <p class="help">{t('optionsIntro')}</p>
      </header>
      <ManagedNotice reading={managed} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <ProtectionSection shown={shown.protection} managed={managed} onChange={changeProtection} />
        <OperatorsSection {...props} />
        <CustomEntriesSection {...props} />
        <AllowlistSection {...props} />
        <LogSection {...props} onClearAll={clearAll} />
        <NotificationsSection {...props} requestPermission={api.requestNotifications} />
        <DataUpdatesSection shown={shown.dataUpdates} managed={managed} api={api} onChange={changeDataUpdates} {...(dataPoll ? { poll: dataPoll } : {})} />
        <div class="save-bar">
          <button type="submit" class="button primary" data-testid="save" disabled={locked}>
            {t('save')}
          </button>
          <button type="button" class="button" data-testid="revert" disabled={!dirty || locked} onClick={() => setForm(formFromSettings(saved))}>
            {t('revert')}
          </button>
          <span class="dirty" aria-live="polite">
            {dirty ? t('unsavedChanges') : ''}
          </span>
        </div>
        <div class={`form-status status-${status?.kind ?? 'none'}`} role={status?.kind === 'error' ? 'alert' : 'status'} data-testid="form-status">
          {status && <p>{status.text}</p>}
          {status?.details && (
            <ul>
              {status.details.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          )}
        </div>
      </form>
      <SettingsFileSection saved={saved} now={api.now} saveFile={api.saveFile} onImport={onImport} locked={locked} />
      <AboutSection version={api.version} />
    </div>
  );
}
