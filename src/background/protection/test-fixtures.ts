import { Classifier } from '../../engine/classifier.ts';
import { parseIPv4 } from '../../engine/ip-address.ts';
import { IpTable } from '../../engine/ip-table.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../engine/settings.ts';
import { classifierOptions } from '../../engine/settings.ts';
import type { FlaggedList } from '../../engine/types.ts';

// A small flagged list and IP table for the protection tests: one phone-login
// gateway, one portal of each confidence, one flagged range (China Telecom).

export const LIST: FlaggedList = {
  operators: [
    { id: 'china-telecom', name: 'China Telecom', group: 'CT', why: 'CT why', sources: [] },
    { id: 'china-mobile', name: 'China Mobile', group: 'CM', why: 'CM why', sources: [] },
    { id: 'china-unicom', name: 'China Unicom', group: 'CU', why: 'CU why', sources: [] },
  ],
  asns: [{ asn: 4134, operatorId: 'china-telecom', entity: '', name: 'CHINANET', confidence: 'high', note: '', source: 't' }],
  domains: [
    { domain: 'cmpassport.com', operatorId: 'china-mobile', entity: '', what: 'CMPassport', confidence: 'high', source: 't', tags: ['phone-login'] },
    { domain: '10086.cn', operatorId: 'china-mobile', entity: '', what: 'portal', confidence: 'high', source: 't', tags: ['portal'] },
    { domain: 'cm-medium.cn', operatorId: 'china-mobile', entity: '', what: 'medium', confidence: 'medium', source: 't', tags: [] },
    { domain: 'enrichgw.10010.com', operatorId: 'china-unicom', entity: '', what: 'gateway', confidence: 'high', source: 't', tags: ['phone-login'] },
  ],
};

export const TABLE = IpTable.fromRanges([{ start: BigInt(parseIPv4('202.97.0.0')!), end: BigInt(parseIPv4('202.97.255.255')!), asn: 4134 }], []);
export const CT_IP = '202.97.1.1';

export function settingsWith(protection: Partial<Settings['protection']>, more: Partial<Settings> = {}): Settings {
  return { ...DEFAULT_SETTINGS, ...more, protection: { ...DEFAULT_SETTINGS.protection, ...protection } };
}

export function classifierFor(settings: Settings): Classifier {
  return new Classifier(LIST, TABLE, classifierOptions(settings));
}
