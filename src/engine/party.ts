import { getDomain } from 'tldts';

// First- or third-party is decided by site, the registrable domain from the
// Public Suffix List (tldts keeps it current; never hand-roll the PSL).
// Private suffixes count, as they do for browsers: alice.github.io and
// bob.github.io are different sites.

const PSL_OPTIONS = { allowPrivateDomains: true } as const;

/** The site of a normalized host: its registrable domain, or the host itself (IPs, localhost, bare TLDs). */
export function siteOf(host: string): string {
  return getDomain(host, PSL_OPTIONS) ?? host;
}

export type Party = 'first' | 'third';

export function partyOf(requestHost: string, pageHost: string): Party {
  return siteOf(requestHost) === siteOf(pageHost) ? 'first' : 'third';
}
