import { render } from 'preact';
import { t, uiLanguage } from '../ui/i18n.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import { browserPopupApi } from './browser-popup-api.ts';
import { PopupApp, type RenderTiming } from './popup-app.tsx';
import './popup.css';

// Entry point of the toolbar popup and of popup.html?tab=<id> in a tab.
// The first render's timing is left on <html> (data-render-ms,
// data-first-render-ms) and in the console, where a test or a person can
// read it; ?bench=<n> renders n synthetic endpoints to measure it.

function reportTiming(timing: RenderTiming): void {
  const root = document.documentElement;
  root.dataset['renderMs'] = timing.renderMs.toFixed(1);
  root.dataset['layoutMs'] = timing.layoutMs.toFixed(1);
  root.dataset['firstRenderMs'] = timing.sinceNavigationMs.toFixed(1);
  root.dataset['renderedEndpoints'] = String(timing.endpoints);
  root.dataset['firstRenderRows'] = String(timing.rows);
  console.info(
    `Carrier Watch popup: ${timing.endpoints} endpoints, first render (${timing.rows} rows) in ${timing.renderMs.toFixed(1)} ms ` +
      `(${timing.sinceNavigationMs.toFixed(1)} ms after navigation start)`,
  );
}

function reportAllRendered(ms: number): void {
  document.documentElement.dataset['allRowsMs'] = ms.toFixed(1);
  console.info(`Carrier Watch popup: every row in the DOM ${ms.toFixed(1)} ms after the data arrived`);
}

async function start(): Promise<void> {
  document.documentElement.lang = uiLanguage();
  document.title = t('extName');
  const params = new URLSearchParams(location.search);
  // Opened as a page (not as the toolbar popup): use the window's width.
  if (params.get('wide') === '1') document.documentElement.classList.add('wide');
  const bench = Number(params.get('bench'));
  let api: PopupApi;
  if (Number.isInteger(bench) && bench > 0) {
    const { benchPopupApi } = await import('./bench-fixture.ts');
    api = benchPopupApi(bench);
  } else {
    api = browserPopupApi();
  }
  const root = document.getElementById('app');
  if (root) render(<PopupApp api={api} onFirstRender={reportTiming} onAllRendered={reportAllRendered} />, root);
}

void start();
