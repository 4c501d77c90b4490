import ipaddr from 'ipaddr.js';
import { parseIp } from '../engine/ip-address.ts';
import { parseAsn, validateCidr, validateDomain } from '../engine/user-entries.ts';
import { t } from './i18n.ts';

// Checks one entry of the options page as the user types, with a message in
// the UI language that names the entry. Whether an entry is valid is always
// the engine's answer (the same validators parseSettings runs); this only
// works out *why* not, to say it in the user's language. A unit test keeps
// both in agreement.

export type EntryKind = 'asn' | 'cidr' | 'domain' | 'site';

export type EntryCheck<T> = { ok: true; value: T } | { ok: false; message: string };

export function checkAsn(input: string): EntryCheck<number> {
  const asn = parseAsn(input);
  return asn !== undefined ? { ok: true, value: asn } : { ok: false, message: t('errorAsn', input.trim()) };
}

export function checkCidr(input: string): EntryCheck<string> {
  const checked = validateCidr(input);
  if (checked.ok) return { ok: true, value: checked.value };
  return { ok: false, message: cidrProblem(input.trim()) };
}

function cidrProblem(text: string): string {
  if (text === '') return t('errorEmpty');
  const parts = text.split('/');
  const address = parts[0] ?? '';
  if (!parseIp(address).ok) return t('errorCidrAddress', text, address);
  const max = address.includes(':') ? 128 : 32;
  const length = parts[1];
  if (parts.length > 2 || (length !== undefined && (!/^\d{1,3}$/.test(length) || Number(length) > max))) {
    return t('errorCidrLength', text, String(max));
  }
  try {
    // The address and length are fine, so the host bits are set: suggest the network.
    const [, bits] = ipaddr.parseCIDR(text);
    const base = max === 32 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
    return t('errorCidrHostBits', text, `${base.toString()}/${bits}`);
  } catch {
    return t('errorCidr', text);
  }
}

export function checkDomain(input: string, kind: 'domain' | 'site' = 'domain'): EntryCheck<string> {
  const checked = validateDomain(input, kind === 'site' ? 'allowlisted site' : 'domain');
  if (checked.ok) return { ok: true, value: checked.value };
  const text = input.trim();
  if (text === '') return { ok: false, message: t('errorEmpty') };
  if (parseIp(text).ok) return { ok: false, message: kind === 'site' ? t('errorSite', text) : t('errorDomainIsIp', text) };
  return { ok: false, message: kind === 'site' ? t('errorSite', text) : t('errorDomain', text) };
}

export function checkEntry(kind: EntryKind, input: string): EntryCheck<string | number> {
  switch (kind) {
    case 'asn':
      return checkAsn(input);
    case 'cidr':
      return checkCidr(input);
    case 'domain':
      return checkDomain(input, 'domain');
    case 'site':
      return checkDomain(input, 'site');
  }
}

export const MIN_RETENTION_DAYS = 1;

export function checkRetention(input: string, maxDays: number): EntryCheck<number> {
  const text = input.trim();
  const days = Number(text);
  if (/^\d+$/.test(text) && days >= MIN_RETENTION_DAYS && days <= maxDays) return { ok: true, value: days };
  return { ok: false, message: t('errorRetention', text, String(maxDays)) };
}
