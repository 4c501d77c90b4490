import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Settings } from '../engine/settings.ts';
import { t } from '../ui/i18n.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { checkForm, formFromSettings, isDirty, type OptionsForm } from '../ui/options-form.ts';
import { loadSettings, saveSettings } from '../ui/settings-store.ts';
import { AboutSection } from './about-section.tsx';
import { AllowlistSection, CustomEntriesSection, LogSection, NotificationsSection, OperatorsSection } from './sections.tsx';
import { SettingsFileSection, type ImportResult } from './settings-file-section.tsx';

// The options page. The form is edited freely and checked on every change;
// Save stores it only when every entry is valid, so the stored settings are
// always the previous ones or a complete valid set.

type Status = { kind: 'ok' | 'error' | 'info'; text: string; details?: string[] };

export function OptionsApp({ api }: { api: OptionsApi }) {
  const [saved, setSaved] = useState<Settings | null>(null);
  const [form, setForm] = useState<OptionsForm | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const check = useMemo(() => (form ? checkForm(form) : null), [form]);
  const dirty = form !== null && saved !== null && isDirty(form, saved);
  const latest = useRef({ form, dirty });
  latest.current = { form, dirty };

  const load = useCallback(async () => {
    const loaded = await loadSettings(api.settings);
    setSaved(loaded.settings);
    setForm(formFromSettings(loaded.settings));
    if (loaded.problems) setStatus({ kind: 'error', text: t('storedSettingsInvalid'), details: loaded.problems });
  }, [api]);

  useEffect(() => {
    void load();
    // Changed elsewhere (the popup's "don't warn here"): show it, unless the user is editing.
    return api.onSettingsChanged(async () => {
      const loaded = await loadSettings(api.settings);
      const current = latest.current.form ? checkForm(latest.current.form).settings : null;
      if (current && JSON.stringify(current) === JSON.stringify(loaded.settings)) return setSaved(loaded.settings);
      if (latest.current.dirty) return setStatus({ kind: 'info', text: t('changedElsewhere') });
      setSaved(loaded.settings);
      setForm(formFromSettings(loaded.settings));
    });
  }, [api, load]);

  const change = useCallback((patch: Partial<OptionsForm>) => {
    setForm((f) => (f ? { ...f, ...patch } : f));
    setStatus(null);
  }, []);

  async function save() {
    if (!check) return;
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
  const props = { form, problems: check.problems, change };
  return (
    <div class="options" data-ready="true">
      <header class="options-header">
        <h1>{t('optionsTitle')}</h1>
        <p class="help">{t('optionsIntro')}</p>
      </header>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <OperatorsSection {...props} />
        <CustomEntriesSection {...props} />
        <AllowlistSection {...props} />
        <LogSection {...props} onClearAll={clearAll} />
        <NotificationsSection {...props} requestPermission={api.requestNotifications} />
        <div class="save-bar">
          <button type="submit" class="button primary" data-testid="save">
            {t('save')}
          </button>
          <button type="button" class="button" disabled={!dirty} onClick={() => setForm(formFromSettings(saved))}>
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
      <SettingsFileSection saved={saved} now={api.now} saveFile={api.saveFile} onImport={onImport} />
      <AboutSection version={api.version} />
    </div>
  );
}
