import { describe, expect, it } from 'vitest';
import { REPORT_LIMITS } from '../content/report-protocol.ts';
import { isResourceReport, parseResourceReport, ReportBudget } from './page-reports.ts';

// The content script's messages are untrusted: a compromised page process
// can send anything under its own tab and frame.

const NOW = Date.UTC(2026, 11, 2, 8);

describe('parseResourceReport', () => {
  it('takes [host, initiatorType] pairs and maps the initiator to a resource type', () => {
    const parsed = parseResourceReport({ type: 'page-resources', resources: [['www.cmpassport.com', 'script', NOW - 5], ['open.e.189.cn', 'img', NOW], ['x.example', 'css', NOW], ['[::1]', 'fetch', NOW]] }, NOW);
    expect(parsed).toEqual({
      ok: true,
      resources: [
        { host: 'www.cmpassport.com', type: 'script', endedAt: NOW - 5 },
        { host: 'open.e.189.cn', type: 'image', endedAt: NOW },
        { host: 'x.example', type: 'other', endedAt: NOW },
        { host: '::1', type: 'xmlhttprequest', endedAt: NOW },
      ],
    });
    expect(isResourceReport({ type: 'page-resources' })).toBe(true);
    expect(isResourceReport({ type: 'get-tab' })).toBe(false);
  });

  it('takes a time far from ours, or not a time, for now', () => {
    const parsed = parseResourceReport({ resources: [['a.example', 'img', NOW + 3_600_000], ['b.example', 'img', Number.NaN]] }, NOW);
    expect(parsed).toMatchObject({ ok: true, resources: [{ endedAt: NOW }, { endedAt: NOW }] });
  });

  it('refuses a message of the wrong shape or size, whole', () => {
    expect(parseResourceReport({ type: 'page-resources' })).toMatchObject({ ok: false });
    expect(parseResourceReport({ resources: [['a.example', 'img']] })).toMatchObject({ ok: false });
    expect(parseResourceReport({ resources: [[1, 'script', NOW]] })).toMatchObject({ ok: false });
    expect(parseResourceReport({ resources: [['a.example', 'script', '1']] })).toMatchObject({ ok: false });
    expect(parseResourceReport({ resources: [['a'.repeat(254), 'script', NOW]] })).toMatchObject({ ok: false, reason: 'an entry is too long' });
    const flood = Array.from({ length: REPORT_LIMITS.entriesPerMessage + 1 }, (_, i) => [`h${i}.example`, 'img', NOW]);
    expect(parseResourceReport({ resources: flood })).toMatchObject({ ok: false });
  });

  it('skips what is not a host name, keeps the rest', () => {
    const parsed = parseResourceReport({ resources: [['evil.example/path', 'script', NOW], ['user@host', 'img', NOW], ['ok.example', 'img', NOW], ['', 'img', NOW]] }, NOW);
    expect(parsed).toEqual({ ok: true, resources: [{ host: 'ok.example', type: 'image', endedAt: NOW }] });
  });
});

describe('ReportBudget', () => {
  const r = (host: string, type = 'image') => ({ host, type, endedAt: NOW });

  it('admits each (host, type) once per frame document', () => {
    const budget = new ReportBudget();
    expect(budget.admit(1, '0:doc', [r('a.example'), r('a.example'), r('a.example', 'script')])).toHaveLength(2);
    expect(budget.admit(1, '0:doc', [r('a.example')])).toEqual([]);
    // Another frame, another tab: their own budgets.
    expect(budget.admit(1, '3:frame', [r('a.example')])).toHaveLength(1);
    expect(budget.admit(2, '0:doc', [r('a.example')])).toHaveLength(1);
  });

  it('bounds what one frame can add, however it sends it', () => {
    const budget = new ReportBudget(10, 5, 3);
    let admitted = 0;
    for (let m = 0; m < 100; m++) admitted += budget.admit(1, '0:doc', [r(`h${m}.example`), r(`g${m}.example`)]).length;
    expect(admitted).toBe(10); // 5 messages x 2, then the host cap
    // Frames per tab are bounded too: a frame that keeps reloading cannot grow the map.
    for (let f = 0; f < 10; f++) budget.admit(1, `${f}:x`, [r('z.example')]);
    expect(budget.admit(1, 'new:frame', [r('z.example')])).toEqual([]);
    // Until the tab navigates.
    budget.forgetTab(1);
    expect(budget.admit(1, 'new:frame', [r('z.example')])).toHaveLength(1);
  });
});
