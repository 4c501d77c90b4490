import { validateUpdateUrl, type ProtectionMode, type Settings } from './settings.ts';
import { CONFIDENCE_RANK, OPERATOR_IDS, type Confidence, type OperatorId } from './types.ts';
import { validateCidr, validateDomain, type UserCidr, type UserDomain } from './user-entries.ts';

// Settings an organisation sets for its fleet: Chrome enterprise policy
// "3rdparty.extensions.<id>" or Firefox policies.json
// "3rdparty.Extensions.<id>", read through storage.managed (the schema is
// public/managed-schema.json). Plain data in, plain data out: the caller
// reads storage.managed and treats any error as "no managed values".
//
// Rules:
// - The field names are a contract with administrators: never rename one.
//   undefined, null or {} is an empty policy; anything else that is not an
//   object is one problem under the key "*".
// - Each key is checked on its own: a bad value is ignored with a reason that
//   names it, and every other valid key still applies. A list with one bad
//   item is ignored whole (the reason names the item): half a list would be
//   a policy nobody wrote. Unknown keys are reported and ignored.
// - "operators" must list at least one operator: an empty list would quietly
//   switch all flagging off.
// - Managed values win over the user's: scalars replace, lists replace the
//   user's list. With lockSettings the user's own exceptions ("Allow on this
//   site", and their allowlist, which also exempts from blocking) are
//   dropped: the organisation decides where blocking is off, through
//   "allowlist".
// - The user's stored settings never contain a managed value: the policy is
//   applied on top whenever settings are read, so removing it restores the
//   user's own choices.

export type ManagedKey =
  | 'protection'
  | 'blockPhoneLogin'
  | 'operators'
  | 'minConfidence'
  | 'allowlist'
  | 'customDomains'
  | 'customCidrs'
  | 'lockSettings'
  | 'dataUpdates'
  | 'dataUpdateUrl';

export const MANAGED_KEYS: readonly ManagedKey[] = Object.freeze([
  'protection',
  'blockPhoneLogin',
  'operators',
  'minConfidence',
  'allowlist',
  'customDomains',
  'customCidrs',
  'lockSettings',
  'dataUpdates',
  'dataUpdateUrl',
] as const);

export interface ManagedPolicy {
  protection?: ProtectionMode;
  blockPhoneLogin?: boolean;
  operators?: OperatorId[];
  minConfidence?: Confidence;
  allowlist?: string[];
  customDomains?: UserDomain[];
  customCidrs?: UserCidr[];
  lockSettings?: boolean;
  /** Signed network-data updates on (true) or off (false) for every user. */
  dataUpdates?: boolean;
  /** Where to fetch them: the organisation's own mirror. */
  dataUpdateUrl?: string;
}

export interface ManagedProblem {
  key: string;
  reason: string;
}

export interface ManagedReading {
  policy: ManagedPolicy;
  problems: ManagedProblem[];
  /** The valid keys that are set, in MANAGED_KEYS order. */
  keys: ManagedKey[];
}

export const NO_MANAGED_POLICY: ManagedReading = Object.freeze({
  policy: Object.freeze({}),
  problems: Object.freeze([]) as unknown as ManagedProblem[],
  keys: Object.freeze([]) as unknown as ManagedKey[],
});

/** Stored in the note of each managed entry, so wherever the entry shows (the popup too) it says where it came from. */
export const MANAGED_NOTE = 'Set by your organisation';

type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));
const isRow = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const OPERATOR_LIST = OPERATOR_IDS.join(', ');

function operatorOf(value: unknown): Checked<OperatorId> {
  return typeof value === 'string' && (OPERATOR_IDS as readonly string[]).includes(value)
    ? { ok: true, value: value as OperatorId }
    : { ok: false, reason: `${show(value)} is not one of ${OPERATOR_LIST}` };
}

function booleanOf(value: unknown): Checked<boolean> {
  return typeof value === 'boolean' ? { ok: true, value } : { ok: false, reason: `${show(value)} is not true or false` };
}

/** Every item through `item`, or the first bad one named; duplicates (by `id`) keep the first. */
function listOf<T>(value: unknown, what: string, item: (raw: unknown) => Checked<T>, id: (v: T) => string): Checked<T[]> {
  if (!Array.isArray(value)) return { ok: false, reason: `${show(value)} is not a list of ${what}` };
  const out = new Map<string, T>();
  for (const [index, raw] of value.entries()) {
    const checked = item(raw);
    if (!checked.ok) return { ok: false, reason: `item ${index + 1}: ${checked.reason}; the whole list was ignored` };
    if (!out.has(id(checked.value))) out.set(id(checked.value), checked.value);
  }
  return { ok: true, value: [...out.values()] };
}

function entryOf<T>(raw: unknown, field: 'domain' | 'cidr', check: (value: unknown) => { ok: true; value: string } | { ok: false; errors: string[] }, make: (value: string, operatorId: OperatorId) => T): Checked<T> {
  if (!isRow(raw)) return { ok: false, reason: `${show(raw)} is not an object with "${field}" and "operator"` };
  const value = check(raw[field]);
  if (!value.ok) return { ok: false, reason: value.errors.join('; ') };
  if (raw['operator'] === undefined) return { ok: false, reason: `${field} ${show(raw[field])}: no "operator" (one of ${OPERATOR_LIST})` };
  const operator = operatorOf(raw['operator']);
  if (!operator.ok) return { ok: false, reason: `${field} ${show(raw[field])}: operator ${operator.reason}` };
  return { ok: true, value: make(value.value, operator.value) };
}

const CHECKS: { [K in ManagedKey]: (value: unknown) => Checked<NonNullable<ManagedPolicy[K]>> } = {
  protection: (value) => (value === 'warn' || value === 'block' ? { ok: true, value } : { ok: false, reason: `${show(value)} is not "warn" or "block"` }),
  blockPhoneLogin: booleanOf,
  operators: (value) => {
    const list = listOf(value, 'operator ids', operatorOf, (id) => id);
    if (list.ok && list.value.length === 0) return { ok: false, reason: `an empty list would switch all flagging off; list at least one of ${OPERATOR_LIST}` };
    return list;
  },
  minConfidence: (value) =>
    typeof value === 'string' && value in CONFIDENCE_RANK ? { ok: true, value: value as Confidence } : { ok: false, reason: `${show(value)} is not high, medium or low` },
  allowlist: (value) =>
    listOf(
      value,
      'sites',
      (raw) => {
        const site = validateDomain(raw, 'site');
        return site.ok ? site : { ok: false, reason: site.errors.join('; ') };
      },
      (site) => site,
    ),
  customDomains: (value) =>
    listOf(
      value,
      '{ "domain", "operator" } objects',
      (raw) => entryOf(raw, 'domain', validateDomain, (domain, operatorId): UserDomain => ({ domain, operatorId, note: MANAGED_NOTE })),
      (entry) => entry.domain,
    ),
  customCidrs: (value) =>
    listOf(
      value,
      '{ "cidr", "operator" } objects',
      (raw) => entryOf(raw, 'cidr', validateCidr, (cidr, operatorId): UserCidr => ({ cidr, operatorId, note: MANAGED_NOTE })),
      (entry) => entry.cidr,
    ),
  lockSettings: booleanOf,
  dataUpdates: booleanOf,
  dataUpdateUrl: (value) => {
    const url = validateUpdateUrl(value);
    return url.ok ? url : { ok: false, reason: url.errors.join('; ') };
  },
};

const isManagedKey = (key: string): key is ManagedKey => (MANAGED_KEYS as readonly string[]).includes(key);

/** Reads storage.managed's raw value: every valid key, and a problem for everything else. */
export function parseManagedPolicy(raw: unknown): ManagedReading {
  if (raw === undefined || raw === null) return NO_MANAGED_POLICY;
  if (!isRow(raw)) return { policy: {}, problems: [{ key: '*', reason: `the policy must be an object of settings (got ${show(raw)})` }], keys: [] };
  const policy: Record<string, unknown> = {};
  const problems: ManagedProblem[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!isManagedKey(key)) {
      problems.push({ key, reason: 'not a Carrier Watch setting' });
      continue;
    }
    const checked = CHECKS[key](value);
    if (checked.ok) policy[key] = checked.value;
    else problems.push({ key, reason: checked.reason });
  }
  // Built key by key from CHECKS, whose types match ManagedPolicy's.
  return { policy: policy as ManagedPolicy, problems, keys: MANAGED_KEYS.filter((key) => key in policy) };
}

/** The settings in force: the user's, with every managed value in its place. Returns a new object. */
export function applyManagedPolicy(user: Settings, policy: ManagedPolicy): Settings {
  return {
    version: user.version,
    enabledOperators: [...(policy.operators ?? user.enabledOperators)],
    minConfidence: policy.minConfidence ?? user.minConfidence,
    user: {
      asns: user.user.asns,
      cidrs: policy.customCidrs ? policy.customCidrs.map((e) => ({ ...e })) : user.user.cidrs,
      domains: policy.customDomains ? policy.customDomains.map((e) => ({ ...e })) : user.user.domains,
      // Locked, only the organisation says where nothing is warned about (nor blocked).
      allowlist: [...(policy.allowlist ?? (policy.lockSettings === true ? [] : user.user.allowlist))],
    },
    logRetentionDays: user.logRetentionDays,
    notifications: user.notifications,
    protection: {
      mode: policy.protection ?? user.protection.mode,
      blockPhoneLogin: policy.blockPhoneLogin ?? user.protection.blockPhoneLogin,
      allowedSites: policy.lockSettings === true ? [] : [...user.protection.allowedSites],
    },
    dataUpdates: {
      enabled: policy.dataUpdates ?? user.dataUpdates.enabled,
      url: policy.dataUpdateUrl ?? user.dataUpdates.url,
    },
  };
}

/** Whether the options page must not let this control change: the key is managed, or lockSettings is true. */
export function isLocked(reading: ManagedReading, key: ManagedKey | 'other'): boolean {
  return reading.policy.lockSettings === true || (key !== 'other' && reading.keys.includes(key));
}
