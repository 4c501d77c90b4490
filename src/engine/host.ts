// Host names as the engine compares them: lower-case ASCII, punycode for
// IDN, no trailing dot, no brackets around IPv6. One place so the domain list,
// the user's entries and request hosts all meet in the same form.

const PLAIN_ASCII_HOST = /^[a-z0-9.-]+$/;
const NUMERIC_LAST_LABEL = /(^|\.)(\d+|0x[0-9a-f]*)$/;

export type NormalizedHost = { ok: true; host: string } | { ok: false; reason: string };

export function normalizeHost(input: string): NormalizedHost {
  if (typeof input !== 'string') return { ok: false, reason: 'not a string' };
  let host = input.trim().toLowerCase();
  // A fully-qualified name ("example.com.") is the same host; a lone "." is not one.
  while (host.endsWith('.') && host.length > 1) host = host.slice(0, -1);
  if (host === '' || host === '.') return { ok: false, reason: 'empty host name' };
  if (host.length > 253 && PLAIN_ASCII_HOST.test(host)) return { ok: false, reason: `host name longer than 253 characters` };
  // Hot path: what webRequest hands us is already canonical ASCII. A host
  // whose last label is numeric is an IPv4 address to a browser ("999.1.1.1"
  // is invalid, "1.2.3" means 1.2.0.3), so those go to the URL parser below.
  if (PLAIN_ASCII_HOST.test(host) && !host.startsWith('.') && !host.includes('..') && !NUMERIC_LAST_LABEL.test(host)) {
    return { ok: true, host };
  }
  if (host.startsWith('[') && host.endsWith(']')) return { ok: true, host: host.slice(1, -1) };
  // A bare IPv6 literal; the IP parser judges it. Anything else with URL
  // syntax in it is not a host name.
  if (/^[0-9a-f:.]+$/.test(host) && host.includes(':')) return { ok: true, host };
  if (/[/?#@\\:\s]/.test(host)) return { ok: false, reason: `invalid host name: "${input}"` };
  // IDN and anything unusual: let the WHATWG URL parser (same in browsers and
  // Node) apply UTS #46 and punycode, and refuse what a browser would refuse.
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    if (parsed === '' || parsed.includes('..') || parsed.startsWith('.')) return { ok: false, reason: `invalid host name: "${input}"` };
    return { ok: true, host: parsed.endsWith('.') ? parsed.slice(0, -1) : parsed };
  } catch {
    return { ok: false, reason: `invalid host name: "${input}"` };
  }
}

const WEB_SCHEMES = new Set(['http', 'https', 'ws', 'wss']);

/**
 * The host of an http(s)/ws(s) URL as browsers report it (canonical: lower
 * case, punycode), read without building a URL object: this runs for every
 * request. Anything unusual (user info, IPv6 brackets, upper case, odd
 * characters) returns undefined and goes to the full parser.
 */
function fastHost(url: string): string | undefined {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 2 || schemeEnd > 5 || !WEB_SCHEMES.has(url.slice(0, schemeEnd))) return undefined;
  const start = schemeEnd + 3;
  let end = start;
  let colon = -1;
  for (; end < url.length; end++) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    if (c === 58 /* : */) {
      if (colon !== -1) return undefined;
      colon = end;
    } else if (colon !== -1) {
      if (c < 48 || c > 57) return undefined; // the port: digits only
    } else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46)) {
      return undefined;
    }
  }
  const host = url.slice(start, colon === -1 ? end : colon);
  if (host === '' || host.startsWith('.') || host.endsWith('.') || host.includes('..') || NUMERIC_LAST_LABEL.test(host)) return undefined;
  return host;
}

/** Host of a URL string, normalized; undefined for URLs without a host (data:, about:). */
export function hostOfUrl(url: string): NormalizedHost {
  const fast = fastHost(url);
  if (fast !== undefined) return { ok: true, host: fast };
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return { ok: false, reason: `invalid URL: "${url}"` };
  }
  if (hostname === '') return { ok: false, reason: `URL has no host: "${url}"` };
  return normalizeHost(hostname);
}
