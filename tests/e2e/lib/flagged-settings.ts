import { DEFAULT_SETTINGS, type Settings } from '../../../src/engine/settings.ts';

/**
 * The extension settings most e2e files write first: the test hosts become "flagged" through
 * the user's own entries, so both of the engine's paths run against loopback servers. Any host
 * under flagged.test matches by domain (China Mobile); any host mapped to 127.0.0.2 matches by
 * IP (China Telecom).
 */
export const LOOPBACK_FLAGGED_SETTINGS: Settings = {
  ...DEFAULT_SETTINGS,
  user: {
    asns: [],
    cidrs: [{ cidr: '127.0.0.2/32', operatorId: 'china-telecom', note: 'e2e: the second loopback network' }],
    domains: [{ domain: 'flagged.test', operatorId: 'china-mobile', note: 'e2e: a flagged domain' }],
    allowlist: [],
  },
};
