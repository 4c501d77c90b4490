import { describe, expect, it } from 'vitest';
import type { DnrPlan, DnrRule } from './dnr-rules.ts';
import { DnrSync, type DnrApi } from './dnr-sync.ts';

/** Chrome's declarativeNetRequest as state, recording each update. */
function fakeDnr() {
  const state = { enabled: ['stale-set'], dynamic: [{ id: 9 }] as Array<{ id: number }>, session: [] as Array<{ id: number }>, updates: [] as string[], fail: false };
  const api: DnrApi = {
    getEnabledRulesets: async () => [...state.enabled],
    updateEnabledRulesets: async ({ enableRulesetIds = [], disableRulesetIds = [] }) => {
      state.updates.push(`rulesets +${enableRulesetIds.join(',')} -${disableRulesetIds.join(',')}`);
      state.enabled = [...state.enabled.filter((id) => !disableRulesetIds.includes(id)), ...enableRulesetIds];
    },
    getDynamicRules: async () => [...state.dynamic],
    updateDynamicRules: async ({ removeRuleIds = [], addRules = [] }) => {
      if (state.fail) throw new Error('Rule with id 3 exceeds the regex memory limit');
      state.updates.push(`dynamic -${removeRuleIds.join(',')} +${addRules.map((r) => r.id).join(',')}`);
      state.dynamic = [...state.dynamic.filter((r) => !removeRuleIds.includes(r.id)), ...addRules];
    },
    getSessionRules: async () => [...state.session],
    updateSessionRules: async ({ removeRuleIds = [], addRules = [] }) => {
      state.updates.push(`session -${removeRuleIds.join(',')} +${addRules.map((r) => r.id).join(',')}`);
      state.session = [...state.session.filter((r) => !removeRuleIds.includes(r.id)), ...addRules];
    },
  };
  return { api, state };
}

const rule = (id: number): DnrRule => ({ id, priority: 1, action: { type: 'block' }, condition: { requestDomains: [`${id}.test`] } });

describe('DnrSync', () => {
  it('reconciles the enabled rulesets and replaces the rules whole; an unchanged plan writes nothing', async () => {
    const { api, state } = fakeDnr();
    let plan: DnrPlan = { enabledRulesets: ['a', 'b'], dynamicRules: [rule(1)], sessionRules: [] };
    const sync = new DnrSync(api, () => plan);
    await sync.sync();
    expect(state.enabled.sort()).toEqual(['a', 'b']);
    expect(state.dynamic.map((r) => r.id)).toEqual([1]);
    // Rulesets are switched on before the rules change and off after: never a moment with neither.
    expect(state.updates).toEqual(['rulesets +a,b -', 'dynamic -9 +1', 'session - +', 'rulesets + -stale-set']);
    state.updates.length = 0;
    await sync.sync();
    expect(state.updates).toEqual([]);
    plan = { enabledRulesets: ['a'], dynamicRules: [rule(1), rule(2)], sessionRules: [rule(100)] };
    await sync.sync();
    expect(state.updates).toEqual(['dynamic -1 +1,2', 'session - +100', 'rulesets + -b']);
  });

  it('runs one update at a time: changes during one lead to one more run with the latest plan', async () => {
    const { api, state } = fakeDnr();
    let version = 0;
    const sync = new DnrSync(api, () => ({ enabledRulesets: [], dynamicRules: [rule(++version)], sessionRules: [] }));
    await Promise.all([sync.sync(), sync.sync(), sync.sync(), sync.sync()]);
    expect(version).toBe(2);
    expect(state.dynamic.map((r) => r.id)).toEqual([2]);
  });

  it('keeps the previous rules when Chrome refuses an update, says why, and rewrites all next time', async () => {
    const { api, state } = fakeDnr();
    const sync = new DnrSync(api, () => ({ enabledRulesets: [], dynamicRules: [rule(3)], sessionRules: [] }));
    state.fail = true;
    await sync.sync();
    expect(sync.lastError).toMatch(/regex memory limit/);
    expect(state.dynamic.map((r) => r.id)).toEqual([9]);
    state.fail = false;
    await sync.sync();
    expect(sync.lastError).toBeNull();
    expect(state.dynamic.map((r) => r.id)).toEqual([3]);
  });
});
