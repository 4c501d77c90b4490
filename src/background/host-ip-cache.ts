// The IP last seen for each host. A response served from Firefox's disk cache
// comes with no IP, and a failed request may have none: the IP the host had a
// moment ago is the best answer there is. Bounded, least recently used out.

export class HostIpCache {
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity = 2000) {}

  get(host: string): string | undefined {
    const ip = this.entries.get(host);
    if (ip !== undefined) {
      this.entries.delete(host);
      this.entries.set(host, ip);
    }
    return ip;
  }

  set(host: string, ip: string): void {
    this.entries.delete(host);
    this.entries.set(host, ip);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
