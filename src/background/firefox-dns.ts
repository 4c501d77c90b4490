import type { Dns } from 'webextension-polyfill';
import { browser } from './browser-api.ts';
import type { HostResolver } from './request-watcher.ts';

// Firefox only: browser.dns.resolve answers from the browser's own DNS cache
// (the host was just resolved for the request), so it costs no extra network
// round trip in the usual case. It gives the IP of a response Firefox served
// from its disk cache (webRequest reports ip: null there, see
// testing-in-browsers.md), the host's canonical name, which uncloaks a
// first-party name whose CNAME points at a flagged domain, and, in Block
// mode, the address a request is about to connect to. Chrome has no such
// API, and needs none for the IP: it reports the cached IP.
//
// Never asked while a proxy resolves host names (`allowed` says so): a look-up
// here would then go to the local resolver, around the proxy.

const TTL_MS = 5 * 60_000;
const CAPACITY = 2000;

export type DnsAnswer = { addresses: string[]; canonicalName: string | null } | null;

export interface CachingResolver extends HostResolver {
  /** A settled, fresh answer for the host, without waiting; undefined when there is none yet. */
  peek(host: string): DnsAnswer | undefined;
}

interface Entry {
  at: number;
  answer: Promise<DnsAnswer>;
  settled?: DnsAnswer;
}

export function firefoxResolver(allowed: () => boolean = () => true): CachingResolver | undefined {
  const dns = (browser as { dns?: Dns.Static }).dns;
  if (!dns) return undefined;
  const cache = new Map<string, Entry>();
  const fresh = (host: string, now: number): Entry | undefined => {
    const hit = cache.get(host);
    return hit && now - hit.at < TTL_MS ? hit : undefined;
  };
  return {
    resolve(host) {
      if (!allowed()) return Promise.resolve(null);
      const now = Date.now();
      const hit = fresh(host, now);
      if (hit) return hit.answer;
      const entry: Entry = { at: now, answer: Promise.resolve(null) };
      entry.answer = dns
        .resolve(host, ['canonical_name'])
        .then((record): DnsAnswer => ({ addresses: record.addresses, canonicalName: record.canonicalName ?? null }))
        .catch(() => null)
        .then((answer) => (entry.settled = answer));
      cache.delete(host);
      cache.set(host, entry);
      if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
      return entry.answer;
    },
    peek(host) {
      return fresh(host, Date.now())?.settled;
    },
  };
}
