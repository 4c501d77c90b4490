import type { DataCheck, DataStatus } from '../background/messages.ts';
import { formatDateTime } from './format.ts';
import { t } from './i18n.ts';

// Which network data is in use and how updates stand, in words: the options
// page's "Network data" section and the popup's footer say it alike. Pure,
// so every status is unit-tested.

/**
 * The background's answer to get-data-status / check-data-now, or an error:
 * an older background answers those messages with nothing, and the pages must
 * not read fields of undefined.
 */
export function asDataStatus(reply: unknown): DataStatus {
  const status = reply as Partial<DataStatus> | null | undefined;
  if (typeof status?.inUse?.dataDate !== 'string' || typeof status.updates?.enabled !== 'boolean') {
    throw new Error('no network data status from the background');
  }
  return status as DataStatus;
}

/** "Network data of 2026-06-17, verified — shipped with the extension" (or which update, applied when). */
export function dataInUseText({ inUse }: DataStatus): string {
  if (inUse.source === 'update' && inUse.appliedAt !== null) return t('dataInUseUpdate', inUse.dataDate, inUse.version, formatDateTime(inUse.appliedAt));
  return t('dataInUseBundled', inUse.dataDate);
}

/** The popup's one line: "Network data of 2026-06-17, verified", "· updated" when an update is in use. */
export function dataFooterText({ inUse }: DataStatus): string {
  return inUse.source === 'update' ? t('popupDataFooterUpdated', inUse.dataDate) : t('popupDataFooter', inUse.dataDate);
}

/** "Last check: 2 Dec 2026, 14:03 — already up to date"; null when there is nothing to say (updates off, never checked). */
export function lastCheckText(status: DataStatus): string | null {
  const check = status.lastCheck;
  if (check === null) return status.updates.enabled ? t('optDataNoCheck') : null;
  return t('optDataLastCheck', formatDateTime(check.at), outcomeText(check, status));
}

function outcomeText(check: DataCheck, status: DataStatus): string {
  switch (check.outcome) {
    case 'applied':
      // An applied check's version is the one in use, should the server's not have been read.
      return t('optDataOutcomeApplied', check.version ?? status.inUse.version);
    case 'up-to-date':
      return t('optDataOutcomeUpToDate');
    case 'rejected':
      return t('optDataOutcomeRejected');
    case 'failed':
      return t('optDataOutcomeFailed');
  }
}

/** The last check went wrong: the page shows why, and that the data in use was kept. */
export function checkProblem(status: DataStatus | null): DataCheck | null {
  const check = status?.lastCheck ?? null;
  return check !== null && (check.outcome === 'rejected' || check.outcome === 'failed') ? check : null;
}

/** Tells one check from another, to notice when a new one has finished. */
export function checkKey(check: DataCheck | null): string {
  return check === null ? '' : `${check.at}:${check.outcome}`;
}
