import { useState } from 'preact/hooks';
import type { Settings } from '../engine/settings.ts';
import { exportFileName, pageToCsv, pageToJson } from '../ui/export.ts';
import { formatNumber } from '../ui/format.ts';
import { t } from '../ui/i18n.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import type { PopupModel } from '../ui/popup-model.ts';
import { allowlistEntriesFor, saveSettings, withAllowlist } from '../ui/settings-store.ts';

// What can be done from the popup about this page: stop or resume warnings
// on the site, copy or save what it contacted, open the settings or a
// full-size view. The allowlist is changed by writing the settings; the
// background applies them (and clears the badge) on storage.onChanged.

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
