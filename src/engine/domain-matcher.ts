// Matches a host against a domain list on label boundaries: "cmpassport.com"
// matches "www.cmpassport.com" and itself, never "notcmpassport.com" and
// never "cmpassport.com.evil.test". The most specific entry wins, so a
// gateway listed on its own ("enrichgw.10010.com", tagged phone-login) beats
// its parent portal ("10010.com").

export class DomainMatcher<T> {
  private readonly entries = new Map<string, T>();

  /** `domain` must already be normalized (see host.ts). A later entry for the same domain replaces the earlier one. */
  set(domain: string, value: T): void {
    this.entries.set(domain, value);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for the longest listed suffix of `host`, with the suffix that matched. */
  match(host: string): { domain: string; value: T } | undefined {
    let suffix = host;
    for (;;) {
      const value = this.entries.get(suffix);
      if (value !== undefined) return { domain: suffix, value };
      const dot = suffix.indexOf('.');
      if (dot === -1) return undefined;
      suffix = suffix.slice(dot + 1);
    }
  }
}
