import { useState } from 'preact/hooks';
import type { Settings } from '../engine/settings.ts';
import { exportFileName, pageToCsv, pageToJson } from '../ui/export.ts';
import { formatNumber } from '../ui/format.ts';
import { t } from '../ui/i18n.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import type { PopupModel } from '../ui/popup-model.ts';
import { allowlistEntriesFor, loadSettings, saveSettings, withAllowlist } from '../ui/settings-store.ts';
import { allowedSiteEntriesFor, withAllowedSite } from './site-exception.ts';

// What can be done from the popup about this page: stop or resume warnings
// on the site, copy or save what it contacted, open the settings or a
// full-size view, and, when blocking is on, allow or block flagged networks
// on the site. Both are changed by writing the settings; the background
// applies them (and clears the badge) on storage.onChanged.

interface Props {
  api: PopupApi;
  model: PopupModel;
  settings: Settings | null;
  tabId: number | null;
  onStatus: (message: string) => void;
  onSettingsChanged: () => Promise<void>;
}

export function PageActions({ api, model, settings, tabId, onStatus, onSettingsChanged }: Props) {
  const [busy, setBusy] = useState(false);
  const listed = settings !== null && allowlistEntriesFor(settings, model.site, model.url).length > 0;
  const view = model.view;
  const count = model.endpointCount;

  async function toggleAllowlist() {
    if (!settings || busy) return;
    setBusy(true);
    try {
      const saved = await saveSettings(api.settings, withAllowlist(settings, model.site, model.url, !listed));
      onStatus(saved.ok ? (listed ? t('statusWarningsOn', model.site) : t('statusWarningsOff', model.site)) : t('statusNotSaved', saved.errors.join('; ')));
      await onSettingsChanged();
    } finally {
      setBusy(false);
    }
  }

  async function copy(format: 'json' | 'csv') {
    if (!view) return;
    const text = format === 'json' ? pageToJson(view, { version: api.version, now: api.now() }) : pageToCsv(view);
    try {
      await api.copyText(text);
      onStatus(t('statusCopied', formatNumber(count), format.toUpperCase()));
    } catch (error) {
      onStatus(t('statusCopyFailed', error instanceof Error ? error.message : String(error)));
    }
  }

  function save(format: 'json' | 'csv') {
    if (!view) return;
    const now = api.now();
    const text = format === 'json' ? pageToJson(view, { version: api.version, now }) : pageToCsv(view);
    api.saveFile(exportFileName(model.site, 'page', format, now), format === 'json' ? 'application/json' : 'text/csv', text);
    onStatus(t('statusSaved', formatNumber(count), format.toUpperCase()));
  }

  const noData = !view || count === 0;
  return (
    <div class="actions" role="group" aria-label={t('actionsLabel')}>
      <SiteProtection api={api} model={model} settings={settings} onStatus={onStatus} onSettingsChanged={onSettingsChanged} />
      <div class="action-row">
        <button type="button" class="button" disabled={!settings || busy || !model.site} onClick={toggleAllowlist} data-testid="allowlist-toggle" aria-pressed={listed}>
          {listed ? t('actionWarnAgain') : t('actionAllowlist')}
        </button>
        <button type="button" class="button" onClick={() => void api.openOptions()}>
          {t('actionSettings')}
        </button>
        {tabId !== null && (
          <button type="button" class="button" onClick={() => void api.openInTab(tabId)}>
            {t('actionOpenInTab')}
          </button>
        )}
      </div>
      <div class="action-row" role="group" aria-label={t('exportPageLabel')}>
        <span class="action-label" aria-hidden="true">
          {t('exportPageLabel')}
        </span>
        <button type="button" class="button small" disabled={noData} onClick={() => void copy('json')} aria-label={t('copyJsonLabel')}>
          {t('copyJson')}
        </button>
        <button type="button" class="button small" disabled={noData} onClick={() => void copy('csv')} aria-label={t('copyCsvLabel')}>
          {t('copyCsv')}
        </button>
        <button type="button" class="button small" disabled={noData} onClick={() => save('json')} data-testid="export-page-json" aria-label={t('saveJsonLabel')}>
          {t('saveJson')}
        </button>
        <button type="button" class="button small" disabled={noData} onClick={() => save('csv')} data-testid="export-page-csv" aria-label={t('saveCsvLabel')}>
          {t('saveCsv')}
        </button>
      </div>
    </div>
  );
}

/**
 * "Allow on this site" / "Block on this site again", with what is in force
 * now. Shown only when something is blocked at all. The label follows the
 * settings; the indicator follows the background (ProtectionStatus), which
 * is what actually blocks.
 */
function SiteProtection({ api, model, settings, onStatus, onSettingsChanged }: Omit<Props, 'tabId'>) {
  const [busy, setBusy] = useState(false);
  const protection = model.protection;
  if (!protection?.active) return null;
  const allowed = settings !== null && allowedSiteEntriesFor(settings, model.site, model.url).length > 0;
  // Exempt without an exception of its own: the allowlist covers the site, which blocks nothing either.
  const exemptByAllowlist = protection.pageExempt && !allowed && model.allowlisted;
  const title = protection.locked ? t('popupProtectionLockedTitle') : exemptByAllowlist ? t('popupProtectionAllowlistedTitle') : undefined;

  async function toggle() {
    if (busy || !model.site) return;
    setBusy(true);
    try {
      // The stored settings, not the ones read when the popup opened: the options page may have saved since.
      const loaded = await loadSettings(api.settings);
      if (loaded.problems) return onStatus(t('statusNotSaved', loaded.problems.join('; ')));
      const saved = await saveSettings(api.settings, withAllowedSite(loaded.settings, model.site, model.url, !allowed));
      if (!saved.ok) return onStatus(t('statusNotSaved', saved.errors.join('; ')));
      onStatus(allowed ? t('popupProtectionStatusOn', model.site) : t('popupProtectionStatusOff', model.site));
      await onSettingsChanged();
    } catch (error) {
      onStatus(t('statusNotSaved', error instanceof Error ? error.message : String(error)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="action-row protection-row">
      <span class={`protection-state${protection.pageExempt ? ' is-off' : ' is-on'}`} data-testid="protection-state" data-exempt={protection.pageExempt}>
        {protection.pageExempt ? t('popupProtectionStateOff') : protection.mode === 'block' ? t('popupProtectionStateOn') : t('popupProtectionStatePhoneLogin')}
      </span>
      <button
        type="button"
        class="button"
        disabled={!settings || busy || !model.site || protection.locked || exemptByAllowlist}
        title={title}
        onClick={() => void toggle()}
        data-testid="allow-site"
      >
        {allowed ? t('popupProtectionBlockAgain') : t('popupProtectionAllowSite')}
      </button>
    </div>
  );
}
