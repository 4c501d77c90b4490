import { formatNumber } from '../ui/format.ts';
import { t } from '../ui/i18n.ts';
import type { PopupModel } from '../ui/popup-model.ts';

// The first thing read: which site, how many flagged endpoints, and a plain
// verdict. Its height does not depend on the data (one line per part, text
// clipped), so nothing below it moves when the reply arrives.

export function PageHeader({ model }: { model: PopupModel }) {
  const flagged = model.endpointCount > 0 && !model.allowlisted;
  return (
    <header class={`page-header${flagged ? ' is-flagged' : ''}${model.allBlocked ? ' is-all-blocked' : ''}`}>
      <div class="header-row">
        <h1 class="site" title={model.url || undefined}>
          {model.status === 'loading' ? t('popupLoading') : model.site || t('popupUnknownSite')}
        </h1>
        {model.status === 'page' && (
          <span
            class={`count${flagged ? ' count-flagged' : ''}`}
            aria-label={t('countLabel', formatNumber(model.endpointCount))}
            data-testid="endpoint-count"
          >
            {formatNumber(model.endpointCount) + (model.spilled > 0 ? '+' : '')}
          </span>
        )}
      </div>
      <p class="verdict" data-testid="verdict">
        {headline(model)}
      </p>
      {model.status === 'page' && <StateNotes model={model} />}
    </header>
  );
}

function headline(model: PopupModel): string {
  switch (model.status) {
    case 'loading':
      return '\u00a0'; // keeps the line's height while loading
    case 'no-tab':
      return t('stateNoTab');
    case 'non-web':
      // The tab shows Carrier Watch's own blocked page: say so rather than "a browser page".
      return model.blockedPageHost !== null ? t('popupProtectionBlockedPage', model.blockedPageHost) : t('stateNonWeb');
    case 'page':
      return model.verdict;
  }
}

function StateNotes({ model }: { model: PopupModel }) {
  return (
    <>
      {model.allowlisted && (
        <p class="note note-allowlisted" data-testid="note-allowlisted">
          {t('stateAllowlisted', model.site)}
        </p>
      )}
      {model.loadedBeforeStart && (
        <p class="note" data-testid="note-before-start">
          {t('stateBeforeStart')}
        </p>
      )}
      {model.partial && (
        <p class="note note-warning" data-testid="note-partial">
          {t('statePartial')}
        </p>
      )}
      {model.private && (
        <p class="note" data-testid="note-private">
          {t('statePrivate')}
        </p>
      )}
      {model.protection?.active && model.protection.domainOnly && !model.protection.pageExempt && (
        <p class="note note-warning" data-testid="note-domain-only">
          {t('popupProtectionDomainOnly')}
        </p>
      )}
      {model.storageError !== null && <p class="note note-warning">{t('stateStorageError', model.storageError)}</p>}
      {model.dataError !== null && <p class="note note-warning">{t('stateDataError', model.dataError)}</p>}
    </>
  );
}
