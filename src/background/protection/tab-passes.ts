// "Continue once" on the explanation page: the tab may load that host's page,
// and whatever the page then loads, until the tab leaves the host. Chrome
// turns each pass into a session rule, Firefox's blocker asks `allows`.
// Memory only: a pass never outlives the browser session.

export class TabPasses {
  private readonly passes = new Map<number, string>();

  /** Returns true when this adds or changes a pass. */
  grant(tabId: number, host: string): boolean {
    if (this.passes.get(tabId) === host) return false;
    this.passes.set(tabId, host);
    return true;
  }

  /** The page the tab is loading or showing is on `host` (or one of its subdomains) and the tab holds a pass for it. */
  allows(tabId: number, pageHost: string | null): boolean {
    const host = this.passes.get(tabId);
    return host !== undefined && pageHost !== null && (pageHost === host || pageHost.endsWith(`.${host}`));
  }

  /** The tab showed a page: a pass for another host is used up. Returns true when one went. */
  committed(tabId: number, pageHost: string | null): boolean {
    const host = this.passes.get(tabId);
    if (host === undefined || this.allows(tabId, pageHost)) return false;
    this.passes.delete(tabId);
    return true;
  }

  removeTab(tabId: number): boolean {
    return this.passes.delete(tabId);
  }

  list(): Array<{ tabId: number; host: string }> {
    return [...this.passes].map(([tabId, host]) => ({ tabId, host }));
  }
}
