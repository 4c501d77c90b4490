import ipaddr from 'ipaddr.js';

// Parses the IP strings the engine meets (webRequest's `details.ip`, URL hosts,
// terminal input) into numbers the table can search. IPv4 is parsed by hand
// because it is the hot path (every request); IPv6 goes through ipaddr.js,
// which knows every compressed and embedded-IPv4 form.

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

/** Words of an ipaddr.js IPv6 address, most significant first. */
function wordsOf(address: ipaddr.IPv6): IpWords {
  const p = address.parts;
  return [
    ((p[0]! << 16) | p[1]!) >>> 0,
    ((p[2]! << 16) | p[3]!) >>> 0,
    ((p[4]! << 16) | p[5]!) >>> 0,
    ((p[6]! << 16) | p[7]!) >>> 0,
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
  if (!ipaddr.IPv6.isValid(text)) return { ok: false, reason: `invalid IPv6 address: "${input}"` };
  const words = wordsOf(ipaddr.IPv6.parse(text));
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
