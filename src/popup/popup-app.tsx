import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SiteLog } from '../background/site-log.ts';
import type { Settings } from '../engine/settings.ts';
import { t } from '../ui/i18n.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import { LOADING_MODEL, popupModel, replySignature, type PopupModel } from '../ui/popup-model.ts';
import { loadSettings } from '../ui/settings-store.ts';
import { DataFooter } from './data-footer.tsx';
import { EndpointGroups } from './endpoint-groups.tsx';
import { PageActions } from './page-actions.tsx';
import { PageHeader } from './page-header.tsx';
import { SiteLogView } from './site-log-view.tsx';

// The popup: one tab's page view, refreshed while it is open so a page that
// is still loading fills in live. A poll that brings nothing new renders
// nothing (replySignature), and rows only ever append (see groupEndpoints),
// so the list does not jump under the reader's eyes.

export interface RenderTiming {
  /** From the reply's arrival to the rows in the DOM, laid out. */
  renderMs: number;
  /** Of which style and layout (the rest is building the DOM). */
  layoutMs: number;
  /** From the page's navigation start to the first data on screen. */
  sinceNavigationMs: number;
  endpoints: number;
  /** Rows in that first render (a long list renders the rest in the next frames). */
  rows: number;
}

export interface PopupAppProps {
  api: PopupApi;
  /** How often to ask the background again while the popup is open. */
  pollMs?: number;
  /** Called once, after the first data is on screen (the popup's speed figure). */
  onFirstRender?: (timing: RenderTiming) => void;
  /** Called once every row of the first data is in the DOM: ms since the reply arrived. */
  onAllRendered?: (ms: number) => void;
}

export function PopupApp({ api, pollMs = 700, onFirstRender, onAllRendered }: PopupAppProps) {
  const [tabId, setTabId] = useState<number | null | undefined>(undefined);
  const [model, setModel] = useState<PopupModel>(LOADING_MODEL);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [siteLog, setSiteLog] = useState<SiteLog | null>(null);
  const [status, setStatus] = useState('');
  const signature = useRef('');
  const inFlight = useRef(false);
  const replyAt = useRef<number | null>(null);
  const reported = useRef(false);

  const refresh = useCallback(async () => {
    if (tabId === undefined || inFlight.current) return;
    if (tabId === null) {
      setModel({ ...LOADING_MODEL, status: 'no-tab' });
      return;
    }
    inFlight.current = true;
    try {
      const [url, reply] = await Promise.all([api.tabUrl(tabId), api.getTab(tabId)]);
      const next = replySignature(url, reply);
      if (next === signature.current) return;
      signature.current = next;
      replyAt.current ??= performance.now();
      setModel(popupModel(url, reply));
    } catch (error) {
      setStatus(t('errorBackground', error instanceof Error ? error.message : String(error)));
    } finally {
      inFlight.current = false;
    }
  }, [api, tabId]);

  const reloadSettings = useCallback(async () => setSettings((await loadSettings(api.settings)).settings), [api]);

  useEffect(() => {
    void api.tabToShow().then(setTabId, () => setTabId(null));
    void reloadSettings();
  }, [api, reloadSettings]);

  useEffect(() => {
    if (tabId === undefined) return;
    void refresh();
    const timer = setInterval(() => void refresh(), pollMs);
    return () => clearInterval(timer);
  }, [tabId, refresh, pollMs]);

  const site = model.status === 'page' ? model.site : '';
  const reloadSiteLog = useCallback(async () => {
    if (!site || model.private) return setSiteLog(null);
    try {
      setSiteLog(await api.getSiteLog(site));
    } catch {
      setSiteLog(null);
    }
  }, [api, site, model.private]);
  useEffect(() => void reloadSiteLog(), [reloadSiteLog]);

  useLayoutEffect(() => {
    if (reported.current || model.status === 'loading' || replyAt.current === null) return;
    reported.current = true;
    const committed = performance.now();
    void document.body.offsetHeight; // include style and layout in the figure
    const now = performance.now();
    const rows = document.querySelectorAll('li.endpoint').length;
    onFirstRender?.({ renderMs: now - replyAt.current, layoutMs: now - committed, sinceNavigationMs: now, endpoints: model.endpointCount, rows });
  }, [model, onFirstRender]);

  const allRendered = useCallback(() => {
    if (replyAt.current === null) return;
    void document.body.offsetHeight;
    onAllRendered?.(performance.now() - replyAt.current);
  }, [onAllRendered]);

  return (
    <div class="popup" data-state={model.status} data-endpoints={model.endpointCount}>
      <PageHeader model={model} />
      {model.status === 'page' && (
        <>
          <PageActions
            api={api}
            model={model}
            settings={settings}
            tabId={tabId ?? null}
            onStatus={setStatus}
            onSettingsChanged={async () => {
              await reloadSettings();
              await refresh();
            }}
          />
          <EndpointGroups groups={model.groups} spilled={model.spilled} learnsHosts={model.protection?.learnsHosts ?? false} onAllRendered={allRendered} />
          <SiteLogView
            api={api}
            log={siteLog}
            site={model.site}
            currentViewId={model.view?.id ?? null}
            isPrivate={model.private}
            retentionDays={settings?.logRetentionDays ?? null}
            onStatus={setStatus}
            onCleared={reloadSiteLog}
          />
        </>
      )}
      <p class="status" role="status" aria-live="polite">
        {status}
      </p>
      <DataFooter api={api} />
    </div>
  );
}
