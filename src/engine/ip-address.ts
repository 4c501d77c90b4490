import ipaddr from 'ipaddr.js';

// Parses the IP strings the engine meets (webRequest's `details.ip`, URL hosts,
// terminal input) into numbers the table can search. IPv4 is parsed by hand
// because it is the hot path (every request), and so is IPv6 (see parseIPv6);
// ipaddr.js formats addresses and, in the tests, checks both parsers.

export type IpWords = [number, number, number, number];

export type ParsedIp =
  | { ok: true; family: 4; value: number; /** how a v4 address was carried inside IPv6 */ via?: 'ipv4-mapped' | 'nat64' }
  | { ok: true; family: 6; words: IpWords }
  | { ok: false; reason: string };

/** Strict dotted-quad: four decimal octets 0-255, no leading zeros (they read as octal elsewhere). */
export function parseIPv4(text: string): number | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (code - 48);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** One group of 1-4 hex digits, or -1. */
function hexGroup(text: string): number {
  const length = text.length;
  if (length === 0 || length > 4) return -1;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Pushes the 16-bit groups of a run of colon-separated parts; an IPv4 tail only where allowed. */
function pushGroups(parts: readonly string[], groups: number[], v4TailAllowed: boolean): boolean {
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (v4TailAllowed && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return false;
      groups.push(v4 >>> 16, v4 & 0xffff);
      return true;
    }
    const group = hexGroup(part);
    if (group < 0) return false;
    groups.push(group);
  }
  return true;
}

/**
 * Strict RFC 4291 text form: eight groups, or fewer around one "::", with an
 * optional dotted-quad tail. Written out because ipaddr.js validates and then
 * parses again (two passes over every address); the tests hold it to
 * ipaddr.js on every form.
 */
export function parseIPv6(text: string): IpWords | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return undefined;
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const headGroups: number[] = [];
  const tailGroups: number[] = [];
  if (head !== '' && !pushGroups(head.split(':'), headGroups, gap === -1)) return undefined;
  if (tail !== '' && !pushGroups(tail.split(':'), tailGroups, true)) return undefined;
  const count = headGroups.length + tailGroups.length;
  if (gap === -1 ? count !== 8 : count > 7) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - count).fill(0), ...tailGroups];
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}

/**
 * Parses an IPv4 or IPv6 address. Accepts the bracketed form URLs use ("[::1]")
 * and drops a zone id ("fe80::1%eth0"). IPv4-mapped (::ffff:a.b.c.d) and NAT64
 * (64:ff9b::/96) addresses come back as the IPv4 address they carry, because
 * that is the host the packets reach. Never throws.
 */
export function parseIp(input: string): ParsedIp {
  if (typeof input !== 'string') return { ok: false, reason: 'not a string' };
  let text = input.trim();
  if (text === '') return { ok: false, reason: 'empty address' };
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { ok: true, family: 4, value: v4 };
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (!text.includes(':')) return { ok: false, reason: `not an IP address: "${input}"` };
  const words = parseIPv6(text);
  if (words === undefined) return { ok: false, reason: `invalid IPv6 address: "${input}"` };
  const [w0, w1, w2, w3] = words;
  if (w0 === 0 && w1 === 0 && w2 === 0x0000ffff) return { ok: true, family: 4, value: w3, via: 'ipv4-mapped' };
  if (w0 === 0x0064ff9b && w1 === 0 && w2 === 0) return { ok: true, family: 4, value: w3, via: 'nat64' };
  return { ok: true, family: 6, words };
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export function formatIPv6(words: readonly number[]): string {
  const parts: number[] = [];
  for (const w of words) parts.push(w >>> 16, w & 0xffff);
  return new ipaddr.IPv6(parts).toString();
}

/** 128-bit value of the words, for code that is not on the hot path (pipeline, tests). */
export function wordsToBigInt(words: readonly number[]): bigint {
  let value = 0n;
  for (const w of words) value = (value << 32n) | BigInt(w >>> 0);
  return value;
}

export function bigIntToWords(value: bigint): IpWords {
  return [
    Number((value >> 96n) & 0xffffffffn),
    Number((value >> 64n) & 0xffffffffn),
    Number((value >> 32n) & 0xffffffffn),
    Number(value & 0xffffffffn),
  ];
}
