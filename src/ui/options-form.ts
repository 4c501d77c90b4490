import { applyManagedPolicy, type ManagedKey, type ManagedReading } from '../engine/managed-settings.ts';
import { DEFAULT_SETTINGS, MAX_RETENTION_DAYS, parseSettings, type DataUpdateSettings, type NotificationSettings, type ProtectionSettings, type Settings } from '../engine/settings.ts';
import type { Confidence, OperatorId } from '../engine/types.ts';
import { checkEntry, checkRetention, type EntryKind } from './entry-checks.ts';
import { t } from './i18n.ts';

// The options page's form as the user edits it (text as typed), and the
// settings it would save. checkForm names every bad entry; it returns
// settings only when everything is valid and parseSettings agrees, so the
// page can never store half an edit.

export interface EntryRow {
  /** Stable per row while the page is open (a key for Preact and for error messages). */
  id: number;
  value: string;
  operatorId: OperatorId;
  note: string;
}


export type EntryListKey = 'asns' | 'cidrs' | 'domains';

export interface OptionsForm {
  enabledOperators: OperatorId[];
  minConfidence: Confidence;
  asns: EntryRow[];
  cidrs: EntryRow[];
  domains: EntryRow[];
  /** Sites with no warnings; a row's operatorId and note are unused here. */
  allowlist: EntryRow[];
  retentionDays: string;
  notifications: NotificationSettings;
  /** Saved at once by its own section, not by Save; here so Save stores it unchanged. */
  protection: ProtectionSettings;
  /** Saved at once too (the background checks as soon as it is turned on). */
  dataUpdates: DataUpdateSettings;
}

export const ENTRY_KIND: Record<EntryListKey, EntryKind> = { asns: 'asn', cidrs: 'cidr', domains: 'domain' };

let nextId = 1;
export function newRowId(): number {
  return nextId++;
}

export function formFromSettings(s: Settings): OptionsForm {
  return {
    enabledOperators: [...s.enabledOperators],
    minConfidence: s.minConfidence,
    asns: s.user.asns.map((e) => ({ id: newRowId(), value: `AS${e.asn}`, operatorId: e.operatorId, note: e.note ?? '' })),
    cidrs: s.user.cidrs.map((e) => ({ id: newRowId(), value: e.cidr, operatorId: e.operatorId, note: e.note ?? '' })),
    domains: s.user.domains.map((e) => ({ id: newRowId(), value: e.domain, operatorId: e.operatorId, note: e.note ?? '' })),
    allowlist: s.user.allowlist.map((site) => siteRow(site)),
    retentionDays: String(s.logRetentionDays),
    notifications: { ...s.notifications },
    protection: { ...s.protection, allowedSites: [...s.protection.allowedSites] },
    dataUpdates: { ...s.dataUpdates },
  };
}

export function siteRow(site = ''): EntryRow {
  return { id: newRowId(), value: site, operatorId: 'custom', note: '' };
}

/** Problems by field: `${list}:${rowId}` for entries, "retention", "form" for the rest. */
export type Problems = Record<string, string>;

export interface FormCheck {
  problems: Problems;
  /** What Save would store; null while any problem remains. */
  settings: Settings | null;
}

const isBlank = (text: string): boolean => text.trim() === '';

export function checkForm(form: OptionsForm): FormCheck {
  const problems: Problems = {};
  const entries = (list: EntryListKey) =>
    form[list]
      .filter((row) => !isBlank(row.value)) // an empty row is one not filled in yet: ignored
      .flatMap((row) => {
        const checked = checkEntry(ENTRY_KIND[list], row.value);
        if (!checked.ok) {
          problems[`${list}:${row.id}`] = checked.message;
          return [];
        }
        return [{ value: checked.value, operatorId: row.operatorId, ...(isBlank(row.note) ? {} : { note: row.note.trim() }) }];
      });
  const asns = entries('asns').map(({ value, ...rest }) => ({ asn: value as number, ...rest }));
  const cidrs = entries('cidrs').map(({ value, ...rest }) => ({ cidr: value as string, ...rest }));
  const domains = entries('domains').map(({ value, ...rest }) => ({ domain: value as string, ...rest }));
  const allowlist: string[] = [];
  for (const row of form.allowlist) {
    if (isBlank(row.value)) continue;
    const checked = checkEntry('site', row.value);
    if (checked.ok) allowlist.push(String(checked.value));
    else problems[`allowlist:${row.id}`] = checked.message;
  }
  const retention = checkRetention(form.retentionDays, MAX_RETENTION_DAYS);
  if (!retention.ok) problems['retention'] = retention.message;
  if (Object.keys(problems).length > 0) return { problems, settings: null };

  const parsed = parseSettings({
    version: 1,
    enabledOperators: form.enabledOperators,
    minConfidence: form.minConfidence,
    user: { asns, cidrs, domains, allowlist },
    logRetentionDays: retention.ok ? retention.value : undefined,
    notifications: form.notifications,
    protection: form.protection,
    dataUpdates: form.dataUpdates,
  });
  // The checks above mirror the engine's; should they ever disagree, the engine wins.
  if (!parsed.ok) return { problems: { form: t('errorSettings', parsed.errors.join('; ')) }, settings: null };
  return { problems: {}, settings: parsed.value };
}

/** Whether the form would save something other than `saved` (for "unsaved changes"). */
export function isDirty(form: OptionsForm, saved: Settings): boolean {
  const check = checkForm(form);
  if (!check.settings) return true;
  return JSON.stringify(check.settings) !== JSON.stringify(saved);
}

/**
 * The managed values as a form, to show in place of the user's. Built once
 * per policy so the managed rows keep their ids (Preact keys) across renders.
 */
export function managedForm(reading: ManagedReading): OptionsForm {
  return formFromSettings(applyManagedPolicy(DEFAULT_SETTINGS, reading.policy));
}

/**
 * The form as the page shows it: each managed value in place of the user's.
 * The user's own values stay in `form`, which is what Save stores, so a
 * managed value never reaches the user's stored settings.
 */
export function shownForm(form: OptionsForm, managed: OptionsForm, reading: ManagedReading): OptionsForm {
  const has = (key: ManagedKey) => reading.keys.includes(key);
  return {
    ...form,
    enabledOperators: has('operators') ? managed.enabledOperators : form.enabledOperators,
    minConfidence: has('minConfidence') ? managed.minConfidence : form.minConfidence,
    cidrs: has('customCidrs') ? managed.cidrs : form.cidrs,
    domains: has('customDomains') ? managed.domains : form.domains,
    allowlist: has('allowlist') ? managed.allowlist : form.allowlist,
    protection: {
      mode: has('protection') ? managed.protection.mode : form.protection.mode,
      blockPhoneLogin: has('blockPhoneLogin') ? managed.protection.blockPhoneLogin : form.protection.blockPhoneLogin,
      allowedSites: reading.policy.lockSettings === true ? [] : form.protection.allowedSites,
    },
    dataUpdates: {
      enabled: has('dataUpdates') ? managed.dataUpdates.enabled : form.dataUpdates.enabled,
      url: has('dataUpdateUrl') ? managed.dataUpdates.url : form.dataUpdates.url,
    },
  };
}
