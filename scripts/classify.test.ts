import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/data/node.ts';

// The CLI as a person runs it: a real process, real data, JSON lines out.

function run(args: string[], stdin = '') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/classify.ts', ...args], { cwd: REPO_ROOT, input: stdin, encoding: 'utf8' });
  const lines = result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: result.status, lines, stderr: result.stderr };
}

describe('classify CLI', () => {
  it('prints one JSON line per argument with the verdict and why', () => {
    const { status, lines } = run(['202.97.1.1', 'www.cmpassport.com', 'https://example.com/a', '2409:8000::1']);
    expect(status).toBe(0);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ input: '202.97.1.1', flagged: true, operatorId: 'china-telecom', operator: 'China Telecom', asn: 4134, asName: 'CHINANET backbone', matchedBy: ['ip'] });
    expect(lines[1]).toMatchObject({ input: 'www.cmpassport.com', flagged: true, operatorId: 'china-mobile', matchedBy: ['domain'], tags: ['phone-login'] });
    expect(lines[2]).toMatchObject({ input: 'https://example.com/a', flagged: false, operatorId: null, asn: null, matchedBy: [] });
    expect(lines[3]).toMatchObject({ flagged: true, operatorId: 'china-mobile' });
  });

  it('reads stdin when given no arguments, skipping blanks and comments', () => {
    const { status, lines } = run([], '# my list\n\n59.43.0.1\nid6.me\n');
    expect(status).toBe(0);
    expect(lines.map((l) => l['input'])).toEqual(['59.43.0.1', 'id6.me']);
    expect(lines.every((l) => l['flagged'] === true)).toBe(true);
  });

  it('reports a malformed input on its own line, goes on, and exits 1', () => {
    const { status, lines } = run(['1.2.3.999', '8.8.8.8', 'not a host!']);
    expect(status).toBe(1);
    expect(lines[0]).toMatchObject({ input: '1.2.3.999', error: expect.stringMatching(/1\.2\.3\.999/) });
    expect(lines[1]).toMatchObject({ input: '8.8.8.8', flagged: false });
    expect(lines[2]).toMatchObject({ input: 'not a host!', error: expect.any(String) });
  });

  it('honours --min-confidence and --page', () => {
    // wocloud.cn is a "low" entry: left out at the default (medium), flagged at low.
    expect(run(['www.wocloud.cn']).lines[0]).toMatchObject({ flagged: false });
    expect(run(['--min-confidence', 'low', 'www.wocloud.cn']).lines[0]).toMatchObject({ flagged: true, confidence: 'low' });
    const page = run(['--page', 'https://www.10086.cn/', 'img.10086.cn', 'id6.me']);
    expect(page.lines.map((l) => l['party'])).toEqual(['first', 'third']);
    expect(run(['--min-confidence', 'sure', 'x.example']).status).toBe(2);
  });
});
