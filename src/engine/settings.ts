import type { ClassifierOptions } from './classifier.ts';
import { CONFIDENCE_RANK, OPERATOR_IDS, type Confidence, type OperatorId } from './types.ts';
import { EMPTY_USER_ENTRIES, validateDomain, validateUserEntries, type UserEntries, type Validation } from './user-entries.ts';

// The user's settings as stored (storage.local "settings"). Parsed and
// validated as a whole: a bad value anywhere rejects the lot with every
// problem named, and whoever asked keeps the settings they had.

export const SETTINGS_VERSION = 1;

export interface Settings {
  version: typeof SETTINGS_VERSION;
  enabledOperators: OperatorId[];
  minConfidence: Confidence;
  user: UserEntries;
  /** How long the per-site log keeps a visit. */
  logRetentionDays: number;
  /** Desktop notifications; both off by default (they need the optional "notifications" permission). */
  notifications: NotificationSettings;
  /** Blocking; off (warn only) by default. */
  protection: ProtectionSettings;
  /** Signed network-data updates; off by default (the extension makes no request of its own until turned on). */
  dataUpdates: DataUpdateSettings;
}

/**
 * `enabled`: check for a newer signed data bundle at most once a day.
 * `url`: where from; null is the project's release (DEFAULT_DATA_UPDATE_URL).
 * Any URL is safe to trust with delivery, because a bundle is applied only
 * when it is signed with the pinned key: a mirror changes who sees the
 * request, never what data is used.
 */
export interface DataUpdateSettings {
  enabled: boolean;
  url: string | null;
}

/** The fixed-name asset of the data workflow's latest release (.github/workflows/data.yml). */
export const DEFAULT_DATA_UPDATE_URL = 'https://github.com/carrier-watch/carrier-watch/releases/latest/download/carrier-watch-data.cwdata';

export const DEFAULT_DATA_UPDATES: DataUpdateSettings = Object.freeze({ enabled: false, url: null }) as DataUpdateSettings;

/**
 * An update URL: https, or plain http only to this machine (a test server,
 * or a mirror on the same machine). Never credentials in the URL: the
 * request carries nothing that identifies the user.
 */
export function validateUpdateUrl(value: unknown): Validation<string> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, errors: [`update URL ${JSON.stringify(value)} must be a non-empty string`] };
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, errors: [`update URL "${value}" is not a URL`] };
  }
  // As the extension pages' CSP (manifest.json connect-src) allows.
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { ok: false, errors: [`update URL "${value}" must be https (plain http only to 127.0.0.1 or localhost)`] };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, errors: [`update URL "${value}" must not carry a user name or password`] };
  url.hash = '';
  return { ok: true, value: url.href };
}

export type ProtectionMode = 'warn' | 'block';

/**
 * `mode` "block" stops requests to every flagged network the settings flag
 * (operators switched on, confidence threshold); `blockPhoneLogin` stops the
 * phone-number login gateways of those operators in either mode.
 * `allowedSites` are the sites where nothing is blocked ("Allow on this
 * site"): unlike the allowlist they still warn and log.
 */
export interface ProtectionSettings {
  mode: ProtectionMode;
  blockPhoneLogin: boolean;
  allowedSites: string[];
}

export const DEFAULT_PROTECTION: ProtectionSettings = Object.freeze({ mode: 'warn', blockPhoneLogin: false, allowedSites: Object.freeze([]) as unknown as string[] }) as ProtectionSettings;

/**
 * When to show a desktop notification, at most once a day per site and kind:
 * `flagged` on the first contact with any flagged network, `phoneLogin` on
 * the first contact with a phone-number login gateway (tag "phone-login"),
 * which can tie the visit to the visitor's phone number. Either can be on alone.
 */
export interface NotificationSettings {
  flagged: boolean;
  phoneLogin: boolean;
}

export const DEFAULT_NOTIFICATIONS: NotificationSettings = Object.freeze({ flagged: false, phoneLogin: false }) as NotificationSettings;

export const MAX_RETENTION_DAYS = 365;

export const DEFAULT_SETTINGS: Settings = {
  version: SETTINGS_VERSION,
  enabledOperators: [...OPERATOR_IDS],
  // Medium by default: it keeps the operators' Hong Kong and Pakistan retail
  // arms and the ASNs whose data-set names are only a city, leaves out the
  // few "low" ones whose ownership was not verified.
  minConfidence: 'medium',
  user: EMPTY_USER_ENTRIES,
  logRetentionDays: 30,
  notifications: DEFAULT_NOTIFICATIONS,
  protection: DEFAULT_PROTECTION,
  dataUpdates: DEFAULT_DATA_UPDATES,
};

export function parseSettings(raw: unknown): Validation<Settings> {
  if (raw === undefined || raw === null) return { ok: true, value: DEFAULT_SETTINGS };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['settings must be an object'] };
  const input = raw as Record<string, unknown>;
  const errors: string[] = [];
  if (input['version'] !== undefined && input['version'] !== SETTINGS_VERSION) {
    errors.push(`settings version ${String(input['version'])} is not supported (expected ${SETTINGS_VERSION})`);
  }
  let enabledOperators = DEFAULT_SETTINGS.enabledOperators;
  if (input['enabledOperators'] !== undefined) {
    const list = input['enabledOperators'];
    if (!Array.isArray(list)) errors.push('"enabledOperators" must be a list');
    else {
      const unknown = list.filter((id) => !(OPERATOR_IDS as readonly unknown[]).includes(id));
      if (unknown.length > 0) errors.push(`unknown operator ${unknown.map((id) => `"${String(id)}"`).join(', ')}`);
      else enabledOperators = [...new Set(list as OperatorId[])];
    }
  }
  let minConfidence = DEFAULT_SETTINGS.minConfidence;
  if (input['minConfidence'] !== undefined) {
    const value = input['minConfidence'];
    if (typeof value === 'string' && value in CONFIDENCE_RANK) minConfidence = value as Confidence;
    else errors.push(`confidence threshold "${String(value)}" is not high, medium or low`);
  }
  let user = DEFAULT_SETTINGS.user;
  if (input['user'] !== undefined) {
    const checked = validateUserEntries(input['user']);
    if (checked.ok) user = checked.value;
    else errors.push(...checked.errors);
  }
  let logRetentionDays = DEFAULT_SETTINGS.logRetentionDays;
  if (input['logRetentionDays'] !== undefined) {
    const days = input['logRetentionDays'];
    if (typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= MAX_RETENTION_DAYS) logRetentionDays = days;
    else errors.push(`log retention "${String(days)}" must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}`);
  }
  const notifications = parseNotifications(input['notifications'], errors);
  const protection = parseProtection(input['protection'], errors);
  const dataUpdates = parseDataUpdates(input['dataUpdates'], errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { version: SETTINGS_VERSION, enabledOperators, minConfidence, user, logRetentionDays, notifications, protection, dataUpdates } };
}

/** Settings written before notifications existed have none: they read as both off. */
function parseNotifications(raw: unknown, errors: string[]): NotificationSettings {
  if (raw === undefined) return DEFAULT_NOTIFICATIONS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push('"notifications" must be an object');
    return DEFAULT_NOTIFICATIONS;
  }
  const input = raw as Record<string, unknown>;
  const out: NotificationSettings = { ...DEFAULT_NOTIFICATIONS };
  for (const key of ['flagged', 'phoneLogin'] as const) {
    const value = input[key];
    if (value === undefined) continue;
    if (typeof value === 'boolean') out[key] = value;
    else errors.push(`notifications "${key}" must be true or false (got ${JSON.stringify(value)})`);
  }
  const unknown = Object.keys(input).filter((key) => key !== 'flagged' && key !== 'phoneLogin');
  if (unknown.length > 0) errors.push(`unknown notification setting ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return out;
}

/** Settings written before protection existed have none: they read as warn only. */
function parseProtection(raw: unknown, errors: string[]): ProtectionSettings {
  if (raw === undefined) return DEFAULT_PROTECTION;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push('"protection" must be an object');
    return DEFAULT_PROTECTION;
  }
  const input = raw as Record<string, unknown>;
  const out: ProtectionSettings = { ...DEFAULT_PROTECTION, allowedSites: [] };
  const mode = input['mode'];
  if (mode === 'warn' || mode === 'block') out.mode = mode;
  else if (mode !== undefined) errors.push(`protection mode "${String(mode)}" is not warn or block`);
  const phone = input['blockPhoneLogin'];
  if (typeof phone === 'boolean') out.blockPhoneLogin = phone;
  else if (phone !== undefined) errors.push(`protection "blockPhoneLogin" must be true or false (got ${JSON.stringify(phone)})`);
  const sites = input['allowedSites'];
  if (Array.isArray(sites)) {
    for (const site of sites) {
      const domain = validateDomain(site, 'site allowed to load flagged networks');
      if (!domain.ok) errors.push(...domain.errors);
      else if (!out.allowedSites.includes(domain.value)) out.allowedSites.push(domain.value);
    }
  } else if (sites !== undefined) errors.push('protection "allowedSites" must be a list');
  const unknown = Object.keys(input).filter((key) => key !== 'mode' && key !== 'blockPhoneLogin' && key !== 'allowedSites');
  if (unknown.length > 0) errors.push(`unknown protection setting ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return out;
}

/** Settings written before data updates existed have none: they read as off. */
function parseDataUpdates(raw: unknown, errors: string[]): DataUpdateSettings {
  if (raw === undefined) return DEFAULT_DATA_UPDATES;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push('"dataUpdates" must be an object');
    return DEFAULT_DATA_UPDATES;
  }
  const input = raw as Record<string, unknown>;
  const out: DataUpdateSettings = { ...DEFAULT_DATA_UPDATES };
  const enabled = input['enabled'];
  if (typeof enabled === 'boolean') out.enabled = enabled;
  else if (enabled !== undefined) errors.push(`data updates "enabled" must be true or false (got ${JSON.stringify(enabled)})`);
  const url = input['url'];
  if (url !== undefined && url !== null) {
    const checked = validateUpdateUrl(url);
    if (checked.ok) out.url = checked.value;
    else errors.push(...checked.errors);
  }
  const unknown = Object.keys(input).filter((key) => key !== 'enabled' && key !== 'url');
  if (unknown.length > 0) errors.push(`unknown data update setting ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return out;
}

export function classifierOptions(settings: Settings): ClassifierOptions {
  return { enabledOperators: settings.enabledOperators, minConfidence: settings.minConfidence, user: settings.user };
}
