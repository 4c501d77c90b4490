import { beforeEach, describe, expect, it } from 'vitest';
import { asDataStatus, checkKey, checkProblem, dataFooterText, dataInUseText, lastCheckText } from './data-status.ts';
import { formatDateTime } from './format.ts';
import { dataCheck, dataStatus, updatesOn } from './test-fixtures.ts';
import { useLocale } from './test-support.ts';

beforeEach(() => useLocale('en'));

const APPLIED_AT = Date.UTC(2026, 11, 2, 14, 3);
const updated = dataStatus({ inUse: { version: '2026-11-30.4', dataDate: '2026-11-30', source: 'update', appliedAt: APPLIED_AT } });

describe('data status in words', () => {
  it('names the data in use and where it came from', () => {
    expect(dataInUseText(dataStatus())).toBe('Network data of 2026-06-17, verified — shipped with the extension');
    expect(dataInUseText(updated)).toBe(`Network data of 2026-11-30, verified — update 2026-11-30.4 applied ${formatDateTime(APPLIED_AT)}`);
    expect(formatDateTime(APPLIED_AT)).toMatch(/2 Dec 2026/);
  });

  it('gives the popup one short line', () => {
    expect(dataFooterText(dataStatus())).toBe('Network data of 2026-06-17, verified');
    expect(dataFooterText(updated)).toBe('Network data of 2026-11-30, verified · updated');
  });

  it('says how the last check went, in words', () => {
    const when = formatDateTime(dataCheck('failed').at);
    const on = updatesOn(dataStatus());
    expect(lastCheckText(dataStatus())).toBeNull();
    expect(lastCheckText(on)).toBe('Last check: none yet');
    expect(lastCheckText({ ...on, lastCheck: dataCheck('applied', { version: '2026-11-30.4' }) })).toBe(`Last check: ${when} — update 2026-11-30.4 verified and applied`);
    // No version read from the server: the one now in use is the one applied.
    expect(lastCheckText({ ...updated, lastCheck: dataCheck('applied') })).toBe(`Last check: ${when} — update 2026-11-30.4 verified and applied`);
    expect(lastCheckText({ ...on, lastCheck: dataCheck('up-to-date') })).toBe(`Last check: ${when} — already up to date`);
    expect(lastCheckText({ ...on, lastCheck: dataCheck('rejected', { message: 'bad signature' }) })).toBe(`Last check: ${when} — the update was rejected`);
    expect(lastCheckText({ ...on, lastCheck: dataCheck('failed', { message: 'HTTP 404' }) })).toBe(`Last check: ${when} — the update could not be fetched`);
  });

  it('reads in Chinese too', () => {
    useLocale('zh_CN');
    expect(dataFooterText(updated)).toBe('网络数据（2026-11-30），已验证 · 已更新');
    expect(lastCheckText({ ...updatesOn(dataStatus()), lastCheck: dataCheck('up-to-date') })).toMatch(/^上次检查：.* — 已是最新$/);
  });

  it('treats only rejected and failed checks as problems', () => {
    expect(checkProblem(null)).toBeNull();
    expect(checkProblem(dataStatus())).toBeNull();
    for (const outcome of ['applied', 'up-to-date'] as const) expect(checkProblem(dataStatus({ lastCheck: dataCheck(outcome) }))).toBeNull();
    for (const outcome of ['rejected', 'failed'] as const) expect(checkProblem(dataStatus({ lastCheck: dataCheck(outcome) }))?.outcome).toBe(outcome);
  });

  it('tells a new check from the previous one', () => {
    expect(checkKey(null)).toBe('');
    expect(checkKey(dataCheck('failed'))).not.toBe(checkKey(dataCheck('failed', { at: dataCheck('failed').at + 1 })));
  });
});

describe('asDataStatus', () => {
  it('passes a status through and refuses what an older background answers', () => {
    const status = dataStatus();
    expect(asDataStatus(status)).toBe(status);
    for (const reply of [undefined, null, {}, { inUse: {} }, { inUse: { dataDate: '2026-06-17' } }]) {
      expect(() => asDataStatus(reply)).toThrow('no network data status from the background');
    }
  });
});
