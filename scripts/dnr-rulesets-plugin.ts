import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { staticRulesets } from '../src/engine/protection.ts';
import type { FlaggedList } from '../src/engine/types.ts';
import { flaggedListFiles, readFlaggedList } from './flagged-list-plugin.ts';

// Chrome's blocking of the curated domains: one declarativeNetRequest static
// ruleset per operator and confidence, the phone-number login gateways apart
// (src/engine/protection.ts says which is which). All start disabled: the
// background enables the ones the settings call for with
// updateEnabledRulesets. Top-level pages are not in them: a navigation to a
// flagged host is redirected to the explanation page by a dynamic rule, which
// can carry the blocked URL (a static rule cannot know the extension's id).

export const RULESET_DIR = 'rules';

export interface DnrRule {
  id: number;
  priority: number;
  action: { type: 'block' };
  condition: { requestDomains: string[]; excludedResourceTypes: string[] };
}

export function rulesetFiles(list: Pick<FlaggedList, 'domains'>): Array<{ id: string; path: string; rules: DnrRule[] }> {
  return staticRulesets(list).map((ruleset) => ({
    id: ruleset.id,
    path: `${RULESET_DIR}/${ruleset.id}.json`,
    // One rule per ruleset: requestDomains matches each domain and its subdomains.
    rules: [{ id: 1, priority: 1, action: { type: 'block' }, condition: { requestDomains: ruleset.domains, excludedResourceTypes: ['main_frame'] } }],
  }));
}

export function dnrRulesetsPlugin(listDir: URL): Plugin {
  let files: ReturnType<typeof rulesetFiles> = [];
  return {
    name: 'carrier-watch-dnr-rulesets',
    enforce: 'post',
    generateBundle() {
      for (const file of flaggedListFiles(listDir)) this.addWatchFile(file);
      files = rulesetFiles(readFlaggedList(listDir));
      for (const file of files) this.emitFile({ type: 'asset', fileName: file.path, source: JSON.stringify(file.rules, null, 1) + '\n' });
    },
    // crx writes the manifest last and on disk only (see content-scripts-plugin.ts): patched there.
    writeBundle(options) {
      if (!options.dir) this.error('rulesets: the build has no output folder');
      const path = join(options.dir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      manifest['declarative_net_request'] = { rule_resources: files.map(({ id, path: file }) => ({ id, enabled: false, path: file })) };
      writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n');
    },
  };
}
