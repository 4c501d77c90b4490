import ipaddr from 'ipaddr.js';
import { normalizeHost } from './host.ts';
import { parseIp } from './ip-address.ts';
import { OPERATOR_IDS, type OperatorId } from './types.ts';

// The user's own additions to the flagged list (extra ASNs, CIDRs and
// domains) and the sites they never want warnings on. Everything the options
// page saves goes through validateUserEntries first, so the background only
// ever sees entries that parse; a bad entry is named in the error and the
// caller keeps its previous settings.

export interface UserAsn {
  asn: number;
  operatorId: OperatorId;
  note?: string;
}

export interface UserCidr {
  /** Canonical "address/length", e.g. "203.0.113.0/24". */
  cidr: string;
  operatorId: OperatorId;
  note?: string;
}

export interface UserDomain {
  domain: string;
  operatorId: OperatorId;
  note?: string;
}

export interface UserEntries {
  asns: UserAsn[];
  cidrs: UserCidr[];
  domains: UserDomain[];
  /** Sites (registrable domains or hosts) on which nothing is warned about. */
  allowlist: string[];
}

export const EMPTY_USER_ENTRIES: UserEntries = Object.freeze({ asns: [], cidrs: [], domains: [], allowlist: [] }) as UserEntries;

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

type Row = Record<string, unknown>;

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function operatorOf(row: Row, label: string, errors: string[]): OperatorId | undefined {
  const id = row['operatorId'];
  if (typeof id === 'string' && (OPERATOR_IDS as readonly string[]).includes(id)) return id as OperatorId;
  errors.push(`${label}: operator "${String(id)}" is not one of ${OPERATOR_IDS.join(', ')}`);
  return undefined;
}

function noteOf(row: Row): { note?: string } {
  const note = row['note'];
  return typeof note === 'string' && note.trim() !== '' ? { note: note.trim() } : {};
}

function listOf(input: Row, key: string, errors: string[]): unknown[] {
  const value = input[key];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  errors.push(`"${key}" must be a list`);
  return [];
}

/** Parses "AS4134", "as4134" or "4134" into an AS number. */
export function parseAsn(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().replace(/^as/i, '') : '';
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const asn = Number(text);
  return asn >= 1 && asn <= 0xffffffff ? asn : undefined;
}

/** Validates one CIDR and returns its canonical text, or an error that names it. */
export function validateCidr(value: unknown): Validation<string> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, errors: [`CIDR "${String(value)}": empty`] };
  const text = value.trim();
  // A bare address is a host route: /32 or /128.
  const withLength = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const [address = '', length = ''] = withLength.split('/');
  const parsed = parseIp(address);
  if (!parsed.ok) return { ok: false, errors: [`CIDR "${text}": ${parsed.reason}`] };
  if (!/^\d{1,3}$/.test(length)) return { ok: false, errors: [`CIDR "${text}": prefix length "${length}" is not a number`] };
  if (!ipaddr.isValidCIDR(withLength)) {
    const max = address.includes(':') ? 128 : 32;
    return { ok: false, errors: [`CIDR "${text}": prefix length must be 0-${max}`] };
  }
  const [network, bits] = ipaddr.parseCIDR(withLength);
  // Host bits set ("10.0.0.1/8") usually means a typo; say so instead of guessing.
  const base = ipaddr.IPv4.isValid(address) && network.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(withLength)
    : ipaddr.IPv6.networkAddressFromCIDR(withLength);
  if (base.toString() !== network.toString()) {
    return { ok: false, errors: [`CIDR "${text}": has host bits set; did you mean ${base.toString()}/${bits}?`] };
  }
  return { ok: true, value: `${network.toString()}/${bits}` };
}

/** Validates one domain or site name and returns it normalized (lower-case, punycode). */
export function validateDomain(value: unknown, label = 'domain'): Validation<string> {
  if (typeof value !== 'string') return { ok: false, errors: [`${label} "${String(value)}": not text`] };
  const trimmed = value.trim().replace(/^\*\./, ''); // "*.example.com" means the same as "example.com" here
  const host = normalizeHost(trimmed);
  if (!host.ok) return { ok: false, errors: [`${label} "${value}": ${host.reason}`] };
  const name = host.host;
  if (parseIp(name).ok) return { ok: false, errors: [`${label} "${value}": is an IP address; add it as a CIDR`] };
  const labels = name.split('.');
  const badLabel = labels.find((l) => l === '' || l.length > 63 || !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(l));
  if (badLabel !== undefined) return { ok: false, errors: [`${label} "${value}": "${badLabel}" is not a valid label`] };
  return { ok: true, value: name };
}

/**
 * Checks everything the user entered and returns it normalized, or every
 * problem at once, each naming the entry at fault.
 */
export function validateUserEntries(input: unknown): Validation<UserEntries> {
  if (!isRow(input)) return { ok: false, errors: ['user entries must be an object'] };
  const errors: string[] = [];
  const out: UserEntries = { asns: [], cidrs: [], domains: [], allowlist: [] };

  for (const row of listOf(input, 'asns', errors)) {
    if (!isRow(row)) {
      errors.push(`ASN entry ${JSON.stringify(row)}: must be an object`);
      continue;
    }
    const asn = parseAsn(row['asn']);
    const label = `ASN "${String(row['asn'])}"`;
    if (asn === undefined) errors.push(`${label}: not an AS number (1-4294967295)`);
    const operatorId = operatorOf(row, label, errors);
    if (asn !== undefined && operatorId) out.asns.push({ asn, operatorId, ...noteOf(row) });
  }
  for (const row of listOf(input, 'cidrs', errors)) {
    if (!isRow(row)) {
      errors.push(`CIDR entry ${JSON.stringify(row)}: must be an object`);
      continue;
    }
    const cidr = validateCidr(row['cidr']);
    if (!cidr.ok) errors.push(...cidr.errors);
    const operatorId = operatorOf(row, `CIDR "${String(row['cidr'])}"`, errors);
    if (cidr.ok && operatorId) out.cidrs.push({ cidr: cidr.value, operatorId, ...noteOf(row) });
  }
  for (const row of listOf(input, 'domains', errors)) {
    if (!isRow(row)) {
      errors.push(`domain entry ${JSON.stringify(row)}: must be an object`);
      continue;
    }
    const domain = validateDomain(row['domain']);
    if (!domain.ok) errors.push(...domain.errors);
    const operatorId = operatorOf(row, `domain "${String(row['domain'])}"`, errors);
    if (domain.ok && operatorId) out.domains.push({ domain: domain.value, operatorId, ...noteOf(row) });
  }
  for (const site of listOf(input, 'allowlist', errors)) {
    const domain = validateDomain(site, 'allowlisted site');
    if (!domain.ok) errors.push(...domain.errors);
    else if (!out.allowlist.includes(domain.value)) out.allowlist.push(domain.value);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}
