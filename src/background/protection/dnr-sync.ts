import type { DnrPlan, DnrRule } from './dnr-rules.ts';

// Applies a DnrPlan to Chrome's declarativeNetRequest: the enabled static
// rulesets, then the dynamic and session rules, each replaced whole (Chrome
// applies each update atomically, so a failed one leaves the previous rules
// in force). Called at every start, not only on install: the enabled set of
// static rulesets can reset when the extension updates, and the plan depends
// on settings that may have changed while the worker was stopped. Updates run
// one at a time; a change arriving meanwhile leads to one more run, not one
// per change.

/** The part of chrome.declarativeNetRequest used here (the polyfill has no types for it). */
export interface DnrApi {
  getEnabledRulesets(): Promise<string[]>;
  updateEnabledRulesets(options: { enableRulesetIds?: string[]; disableRulesetIds?: string[] }): Promise<void>;
  getDynamicRules(): Promise<Array<{ id: number }>>;
  updateDynamicRules(options: { removeRuleIds?: number[]; addRules?: DnrRule[] }): Promise<void>;
  getSessionRules(): Promise<Array<{ id: number }>>;
  updateSessionRules(options: { removeRuleIds?: number[]; addRules?: DnrRule[] }): Promise<void>;
}

export class DnrSync {
  private running: Promise<void> | null = null;
  private again = false;
  /** What was last applied, to skip an update that changes nothing (every learned host asks for one). */
  private applied: { dynamic: string; session: string } | null = null;
  /** Why the last update failed, for the popup and the logs; null when it worked. */
  lastError: string | null = null;

  constructor(
    private readonly dnr: DnrApi,
    private readonly plan: () => DnrPlan,
  ) {}

  /** Brings the rules in line with the plan; resolves when they are (or the attempt failed). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.apply(this.plan());
          this.lastError = null;
        } catch (error) {
          this.lastError = String(error);
          this.applied = null; // unknown now: the next run rewrites everything
          console.error('Carrier Watch: could not update the blocking rules, the previous ones stay:', error);
        }
      } while (this.again);
      this.running = null;
    })();
    return this.running;
  }

  private async apply(plan: DnrPlan): Promise<void> {
    const enabled = await this.dnr.getEnabledRulesets();
    const enableRulesetIds = plan.enabledRulesets.filter((id) => !enabled.includes(id));
    const disableRulesetIds = enabled.filter((id) => !plan.enabledRulesets.includes(id));
    // Rules are added before others are taken away, so a switch between static and dynamic
    // blocking (a data update) never leaves a moment with neither.
    if (enableRulesetIds.length > 0) await this.dnr.updateEnabledRulesets({ enableRulesetIds });
    const dynamic = JSON.stringify(plan.dynamicRules);
    const session = JSON.stringify(plan.sessionRules);
    if (this.applied?.dynamic !== dynamic) {
      const removeRuleIds = (await this.dnr.getDynamicRules()).map((r) => r.id);
      await this.dnr.updateDynamicRules({ removeRuleIds, addRules: plan.dynamicRules });
    }
    if (this.applied?.session !== session) {
      const removeRuleIds = (await this.dnr.getSessionRules()).map((r) => r.id);
      await this.dnr.updateSessionRules({ removeRuleIds, addRules: plan.sessionRules });
    }
    this.applied = { dynamic, session };
    if (disableRulesetIds.length > 0) await this.dnr.updateEnabledRulesets({ disableRulesetIds });
  }
}
