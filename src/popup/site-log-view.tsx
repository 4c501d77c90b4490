import { useState } from 'preact/hooks';
import type { SiteLog, Visit } from '../background/site-log.ts';
import { exportFileName, siteLogToCsv, siteLogToJson } from '../ui/export.ts';
import { formatDateTime, formatList, formatNumber } from '../ui/format.ts';
import { t } from '../ui/i18n.ts';
import { operatorName } from '../ui/operators.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import { asLabel } from '../ui/wording.ts';

// The same site's earlier visits, newest first, and what each contacted.
// The visit on screen is left out (it is the list above). Clearing asks for
// a second click on the same button: no dialog, focus stays where it was.

interface Props {
  api: PopupApi;
  log: SiteLog | null;
  site: string;
  currentViewId: string | null;
  isPrivate: boolean;
  retentionDays: number | null;
  onStatus: (message: string) => void;
  onCleared: () => Promise<void>;
}

export function SiteLogView({ api, log, site, currentViewId, isPrivate, retentionDays, onStatus, onCleared }: Props) {
  const [confirming, setConfirming] = useState(false);
  if (isPrivate) return null;
  const earlier = (log?.visits ?? []).filter((v) => v.id !== currentViewId).reverse();
  const hasAny = (log?.visits.length ?? 0) > 0;

  function save(format: 'json' | 'csv') {
    if (!log) return;
    const now = api.now();
    const text = format === 'json' ? siteLogToJson(log, { version: api.version, now }) : siteLogToCsv(log);
    api.saveFile(exportFileName(site, 'site-log', format, now), format === 'json' ? 'application/json' : 'text/csv', text);
    onStatus(t('statusSavedLog', formatNumber(log.visits.length), format.toUpperCase()));
  }

  async function clear() {
    if (!confirming) return setConfirming(true);
    setConfirming(false);
    try {
      await api.clearSiteLog(site);
      onStatus(t('statusLogCleared', site));
    } catch (error) {
      onStatus(t('errorBackground', error instanceof Error ? error.message : String(error)));
    }
    await onCleared();
  }

  return (
    <section class="site-log" aria-labelledby="site-log-heading" data-testid="site-log">
      <h2 id="site-log-heading">{t('siteLogHeading', site)}</h2>
      {retentionDays !== null && <p class="muted">{t('siteLogRetention', formatNumber(retentionDays))}</p>}
      {earlier.length === 0 ? (
        <p class="muted">{t('siteLogEmpty')}</p>
      ) : (
        <ol class="visits">
          {earlier.map((v) => (
            <VisitRow key={v.id} visit={v} />
          ))}
        </ol>
      )}
      <div class="action-row" role="group" aria-label={t('exportLogLabel')}>
        <span class="action-label" aria-hidden="true">
          {t('exportLogLabel')}
        </span>
        <button type="button" class="button small" disabled={!hasAny} onClick={() => save('json')} data-testid="export-log-json" aria-label={t('saveLogJsonLabel')}>
          {t('saveJson')}
        </button>
        <button type="button" class="button small" disabled={!hasAny} onClick={() => save('csv')} data-testid="export-log-csv" aria-label={t('saveLogCsvLabel')}>
          {t('saveCsv')}
        </button>
        <button type="button" class={`button small${confirming ? ' danger' : ''}`} disabled={!hasAny} onClick={() => void clear()} data-testid="clear-log">
          {confirming ? t('clearLogConfirm', formatNumber(log?.visits.length ?? 0)) : t('clearLog')}
        </button>
        {confirming && (
          <button type="button" class="button small" onClick={() => setConfirming(false)}>
            {t('cancel')}
          </button>
        )}
      </div>
    </section>
  );
}

function VisitRow({ visit }: { visit: Visit }) {
  const operators = [...new Set(visit.endpoints.map((e) => e.operatorId))].map((id) => operatorName(id));
  // Visits logged before blocking existed have no `blocked`: nothing to show for them.
  const blocked = visit.endpoints.reduce((n, e) => n + (e.blocked ?? 0), 0);
  return (
    <li class="visit">
      <details>
        <summary>
          <span class="visit-when">{formatDateTime(visit.startedAt)}</span>{' '}
          <span class="visit-url">{visit.url}</span>{' '}
          <span class="visit-summary">{t('visitSummary', formatNumber(visit.endpoints.length), formatList(operators))}</span>
          {blocked > 0 && (
            <>
              {' '}
              <span class="visit-blocked" data-testid="visit-blocked">
                {t('popupProtectionVisitBlocked', formatNumber(blocked))}
              </span>
            </>
          )}
        </summary>
        <ul class="visit-endpoints">
          {visit.endpoints.map((e) => (
            <li key={`${e.host}|${e.operatorId}`}>
              <span class="host">{e.host}</span> {t('visitEndpoint', operatorName(e.operatorId), asLabel(e) || t('asUnknown'))}
              {(e.blocked ?? 0) > 0 && <span class="visit-endpoint-blocked"> · {t('popupProtectionReachBlocked', formatNumber(e.blocked ?? 0))}</span>}
            </li>
          ))}
        </ul>
      </details>
    </li>
  );
}
