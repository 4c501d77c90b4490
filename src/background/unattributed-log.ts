// Flagged requests from workers (tabId -1) that no open tab could be tied to
// (the page that started the worker is gone). They are not dropped silently:
// kept here, bounded, for the popup and the console.

export interface UnattributedContact {
  origin: string;
  url: string;
  time: number;
}

export class UnattributedLog {
  private readonly entries: UnattributedContact[] = [];

  constructor(private readonly capacity = 100) {}

  add(origin: string, url: string, time: number): void {
    console.info(`Carrier Watch: flagged request from ${origin} with no tab to show it on: ${url}`);
    this.entries.push({ origin, url, time });
    if (this.entries.length > this.capacity) this.entries.shift();
  }

  list(): UnattributedContact[] {
    return [...this.entries];
  }
}
