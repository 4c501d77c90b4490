import type { Dns } from 'webextension-polyfill';
import { browser } from './browser-api.ts';
import type { HostResolver } from './request-watcher.ts';

// Firefox only: browser.dns.resolve answers from the browser's own DNS cache
// (the host was just resolved for the request), so it costs no extra network
// round trip in the usual case. It gives the IP of a response Firefox served
// from its disk cache (webRequest reports ip: null there, see
// testing-in-browsers.md) and the host's canonical name, which uncloaks a
// first-party name whose CNAME points at a flagged domain. Chrome has no such
// API, and needs none for the IP: it reports the cached IP.

const TTL_MS = 5 * 60_000;
const CAPACITY = 2000;

type Answer = { addresses: string[]; canonicalName: string | null } | null;

export function firefoxResolver(): HostResolver | undefined {
  const dns = (browser as { dns?: Dns.Static }).dns;
  if (!dns) return undefined;
  const cache = new Map<string, { at: number; answer: Promise<Answer> }>();
  return {
    resolve(host) {
      const now = Date.now();
      const hit = cache.get(host);
      if (hit && now - hit.at < TTL_MS) return hit.answer;
      const answer: Promise<Answer> = dns
        .resolve(host, ['canonical_name'])
        .then((record) => ({ addresses: record.addresses, canonicalName: record.canonicalName ?? null }))
        .catch(() => null);
      cache.delete(host);
      cache.set(host, { at: now, answer });
      if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
      return answer;
    },
  };
}
