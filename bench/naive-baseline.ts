import ipaddr from 'ipaddr.js';
import type { IpTable } from '../src/engine/ip-table.ts';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../src/engine/ip-address.ts';
import type { DomainEntry } from '../src/engine/types.ts';

// What a first attempt would do, measured beside the engine in the same run:
// every range as CIDRs parsed once with ipaddr.js, then each address parsed
// and tested against them one by one; domains by suffix test one by one.

type Cidr = { range: [ipaddr.IPv4 | ipaddr.IPv6, number]; asn: number };

/** Splits an inclusive range into the CIDR blocks that cover it exactly. */
export function rangeToCidrs(start: bigint, end: bigint, bits: 32 | 128): Array<[bigint, number]> {
  const out: Array<[bigint, number]> = [];
  let cursor = start;
  while (cursor <= end) {
    let size = 0;
    while (size < bits && (cursor & ((1n << BigInt(size + 1)) - 1n)) === 0n && cursor + (1n << BigInt(size + 1)) - 1n <= end) size++;
    out.push([cursor, bits - size]);
    cursor += 1n << BigInt(size);
  }
  return out;
}

export class NaiveLookup {
  private readonly v4: Cidr[] = [];
  private readonly v6: Cidr[] = [];

  constructor(table: IpTable) {
    for (const r of table.ranges(4)) {
      for (const [base, length] of rangeToCidrs(r.start, r.end, 32)) {
        this.v4.push({ range: ipaddr.parseCIDR(`${formatIPv4(Number(base))}/${length}`), asn: r.asn });
      }
    }
    for (const r of table.ranges(6)) {
      for (const [base, length] of rangeToCidrs(r.start, r.end, 128)) {
        this.v6.push({ range: ipaddr.parseCIDR(`${formatIPv6(bigIntToWords(base))}/${length}`), asn: r.asn });
      }
    }
  }

  get cidrCount(): number {
    return this.v4.length + this.v6.length;
  }

  lookup(ip: string): number {
    const address = ipaddr.parse(ip);
    const list = address.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const cidr of list) {
      if (address.kind() === cidr.range[0].kind() && address.match(cidr.range)) return cidr.asn;
    }
    return 0;
  }
}

export function naiveDomainMatch(domains: readonly DomainEntry[], host: string): DomainEntry | undefined {
  const lower = host.toLowerCase();
  return domains.find((d) => lower === d.domain || lower.endsWith(`.${d.domain}`));
}
