import { describe, expect, it } from 'vitest';
import { AUDIT_USAGE, DEFAULT_OUT_DIR, expandInputs, parseAuditArgs, parseAuditSettings, toUrl, type AuditOptions, type InputReader } from './args.ts';

function options(argv: string[]): AuditOptions {
  const result = parseAuditArgs(argv);
  if (!result.ok) throw new Error(result.error);
  return result.options;
}

function error(argv: string[]): string {
  const result = parseAuditArgs(argv);
  if (result.ok) throw new Error(`expected an error for ${argv.join(' ')}`);
  return result.error;
}

describe('parseAuditArgs', () => {
  it('has defaults', () => {
    expect(options(['https://a.test/'])).toEqual({
      inputs: ['https://a.test/'],
      browser: null,
      browserArgs: [],
      outDir: DEFAULT_OUT_DIR,
      json: false,
      interact: false,
      concurrency: 1,
      timeoutMs: 30_000,
      settingsFile: null,
      help: false,
    });
    expect(DEFAULT_OUT_DIR).toBe('./carrier-watch-audit/');
  });

  it('reads every option, as "--name value" and "--name=value"', () => {
    expect(
      options([
        '--browser',
        '/usr/bin/chromium',
        '--browser-arg',
        '--host-resolver-rules=MAP * 127.0.0.1',
        '--browser-arg=--proxy-server=http://127.0.0.1:8080',
        '--out=reports/',
        '--json',
        '--interact',
        '--concurrency',
        '4',
        '--timeout=12.5',
        '--settings',
        'cw.json',
        'a.test',
        'urls.txt',
      ]),
    ).toEqual({
      inputs: ['a.test', 'urls.txt'],
      browser: '/usr/bin/chromium',
      browserArgs: ['--host-resolver-rules=MAP * 127.0.0.1', '--proxy-server=http://127.0.0.1:8080'],
      outDir: 'reports/',
      json: true,
      interact: true,
      concurrency: 4,
      timeoutMs: 12_500,
      settingsFile: 'cw.json',
      help: false,
    });
  });

  it('keeps inputs in order around options, and after "--" takes everything as an input', () => {
    expect(options(['a.test', '--json', 'b.test', '--', '--weird-file']).inputs).toEqual(['a.test', 'b.test', '--weird-file']);
  });

  it('answers --help whatever else is given', () => {
    expect(options(['--help']).help).toBe(true);
    expect(options(['-h', '--bogus']).help).toBe(true);
    expect(AUDIT_USAGE).toMatch(/--browser-arg/);
    for (const flag of ['--browser', '--out', '--json', '--interact', '--concurrency', '--timeout', '--settings', '--help']) expect(AUDIT_USAGE).toContain(flag);
  });

  it('refuses what it cannot use, naming it', () => {
    expect(error([])).toBe('no URL to audit: give one or more URLs, or a file of URLs');
    expect(error(['--json'])).toMatch(/no URL to audit/);
    expect(error(['a.test', '--frobnicate'])).toBe('unknown option --frobnicate');
    expect(error(['a.test', '--out'])).toBe('--out needs a value');
    expect(error(['a.test', '--out='])).toBe('--out needs a folder');
    expect(error(['a.test', '--json=yes'])).toBe('--json takes no value (got "--json=yes")');
    expect(error(['a.test', '--timeout', '0'])).toMatch(/^--timeout "0" must be a number of seconds above 0/);
    expect(error(['a.test', '--timeout', 'soon'])).toMatch(/^--timeout "soon"/);
    expect(error(['a.test', '--timeout', '-5'])).toMatch(/^--timeout "-5"/);
    expect(error(['a.test', '--out', 'a', '--out', 'b'])).toBe('--out is given more than once');
    expect(error(['a.test', '--browser-arg'])).toBe('--browser-arg needs a value');
  });

  it('takes a concurrency from 1 to 16', () => {
    expect(options(['a.test', '--concurrency', '1']).concurrency).toBe(1);
    expect(options(['a.test', '--concurrency=16']).concurrency).toBe(16);
    for (const bad of ['0', '17', '2.5', 'two', '', '-1']) {
      expect(error(['a.test', `--concurrency=${bad}`])).toBe(`--concurrency "${bad}" must be a whole number from 1 to 16`);
    }
  });

  it('names every problem at once', () => {
    expect(error(['--concurrency', '99', '--nope', 'a.test']).split('\n')).toEqual(['--concurrency "99" must be a whole number from 1 to 16', 'unknown option --nope']);
  });
});

describe('expandInputs', () => {
  const files: Record<string, string> = {
    'urls.txt': '# login pages\nhttps://a.test/login\n\n  b.example.com/path?q=1  \r\n# end\nhttps://a.test/login\n',
    'empty.txt': '# nothing yet\n\n',
    'bad.txt': 'https://ok.example.com/\nftp://files.example.com/\nnot a url\n',
    'bom.txt': '\uFEFFhttps://bom.example.com/\n',
  };
  const reader: InputReader = (path) => {
    if (path === 'folder') throw new Error('EISDIR: illegal operation on a directory');
    return files[path] ?? null;
  };

  it('turns URLs, bare hosts and files of URLs into URLs, in order, each once', () => {
    expect(expandInputs(['https://x.example.com', 'urls.txt', 'example.com', 'https://a.test/login', 'bom.txt'], reader)).toEqual({
      ok: true,
      urls: ['https://x.example.com/', 'https://a.test/login', 'https://b.example.com/path?q=1', 'https://example.com/', 'https://bom.example.com/'],
    });
  });

  it('accepts localhost, IPs and ports as bare hosts', () => {
    expect(expandInputs(['localhost:8080/x', '127.0.0.1:3000', '[::1]:8443', 'app.localhost'], reader)).toEqual({
      ok: true,
      urls: ['https://localhost:8080/x', 'https://127.0.0.1:3000/', 'https://[::1]:8443/', 'https://app.localhost/'],
    });
  });

  it('refuses what is not http(s), naming it and the file line it is on', () => {
    const result = expandInputs(['bad.txt', 'javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x'], reader);
    expect(result).toEqual({
      ok: false,
      error: [
        'bad.txt:2: "ftp://files.example.com/": only http and https URLs can be audited (not ftp:)',
        'bad.txt:3: "not a url" is not a URL (write http://… or https://…)',
        '"javascript:alert(1)": only http and https URLs can be audited (not javascript:)',
        '"file:///etc/passwd": only http and https URLs can be audited (not file:)',
        '"data:text/html,x": only http and https URLs can be audited (not data:)',
      ].join('\n'),
    });
  });

  it('does not take a missing file for a host', () => {
    expect(expandInputs(['url.txt'], reader)).toEqual({ ok: false, error: '"url.txt": no such file, and not a URL (write https://… for a host)' });
    expect(expandInputs(['intranet'], reader)).toEqual({ ok: false, error: '"intranet": no such file, and not a URL (write https://… for a host)' });
    expect(expandInputs(['http://intranet/'], reader)).toEqual({ ok: true, urls: ['http://intranet/'] });
  });

  it('reports an unreadable file and a file with no URL', () => {
    expect(expandInputs(['folder'], reader)).toEqual({ ok: false, error: 'folder: cannot read it (EISDIR: illegal operation on a directory)' });
    expect(expandInputs(['empty.txt'], reader)).toEqual({ ok: false, error: 'empty.txt: the file lists no URL' });
    expect(expandInputs(['  '], reader)).toEqual({ ok: false, error: 'an empty argument is not a URL' });
    expect(expandInputs([], reader)).toEqual({ ok: false, error: 'no URL to audit' });
  });

  it('never reads a URL as a file', () => {
    const asked: string[] = [];
    expandInputs(['https://a.test/', 'b.example.com'], (path) => (asked.push(path), null));
    expect(asked).toEqual(['b.example.com']);
  });
});

describe('toUrl', () => {
  it('normalizes', () => {
    expect(toUrl('HTTPS://Example.COM')).toEqual({ ok: true, url: 'https://example.com/' });
    expect(toUrl('http://例子.测试/')).toEqual({ ok: true, url: 'http://xn--fsqu00a.xn--0zwm56d/' });
    expect(toUrl('https://')).toEqual({ ok: false, error: '"https://" is not a valid URL' });
    expect(toUrl('https://a b.test/')).toEqual({ ok: false, error: '"https://a b.test/" is not a valid URL' });
  });
});

describe('parseAuditSettings', () => {
  it('applies operators, threshold and the user’s own entries, not the allowlist', () => {
    const text = JSON.stringify({
      version: 1,
      enabledOperators: ['china-mobile', 'custom'],
      minConfidence: 'high',
      user: { asns: [], cidrs: [{ cidr: '203.0.113.0/24', operatorId: 'custom' }], domains: [{ domain: 'tracker.example', operatorId: 'custom' }], allowlist: ['a.test'] },
    });
    const result = parseAuditSettings(text, 'cw.json');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.classifier.enabledOperators).toEqual(['china-mobile', 'custom']);
    expect(result.classifier.minConfidence).toBe('high');
    expect(result.classifier.user?.domains).toEqual([{ domain: 'tracker.example', operatorId: 'custom' }]);
    expect(result.classifier.user?.cidrs).toEqual([{ cidr: '203.0.113.0/24', operatorId: 'custom' }]);
    expect(result.classifier.user?.allowlist).toEqual([]);
  });

  it('says what is wrong with a bad file', () => {
    expect(parseAuditSettings('{', 'cw.json')).toMatchObject({ ok: false, error: expect.stringMatching(/^cw\.json: not valid JSON/) });
    expect(parseAuditSettings('{"minConfidence":"extreme"}', 'cw.json')).toEqual({ ok: false, error: 'cw.json: confidence threshold "extreme" is not high, medium or low' });
    expect(parseAuditSettings('null', 'cw.json').ok).toBe(true);
  });
});
