import { describe, expect, it } from 'vitest';
import { formatFrame, fromInitiator, framesOfStack, MAX_FRAMES, resolveAsyncParents, stackFromScriptUrl, type CdpInitiator, type CdpStackTrace } from './initiator.ts';

function call(url: string, lineNumber: number, columnNumber: number, functionName = '', scriptId = '1') {
  return { url, lineNumber, columnNumber, functionName, scriptId };
}

describe('fromInitiator', () => {
  it('turns a script stack into 1-based frames, innermost first', () => {
    const initiator: CdpInitiator = {
      type: 'script',
      stack: { callFrames: [call('https://a.test/login.js', 41, 9, 'send'), call('https://a.test/login.js', 99, 0)] },
    };
    expect(fromInitiator(initiator)).toEqual({
      initiators: [
        { url: 'https://a.test/login.js', line: 42, column: 10, functionName: 'send' },
        { url: 'https://a.test/login.js', line: 100, column: 1 },
      ],
    });
  });

  it('walks async parents and marks the first frame of each with its description', () => {
    const stack: CdpStackTrace = {
      callFrames: [call('https://a.test/post.js', 4, 2, 'post')],
      parent: {
        description: 'Promise.then',
        callFrames: [call('https://a.test/build.js', 10, 5, 'build'), call('https://a.test/build.js', 20, 1)],
        parent: { description: 'setTimeout', callFrames: [call('https://a.test/main.js', 0, 0)] },
      },
    };
    expect(framesOfStack(stack)).toEqual([
      { url: 'https://a.test/post.js', line: 5, column: 3, functionName: 'post' },
      { url: 'https://a.test/build.js', line: 11, column: 6, functionName: 'build', asyncBoundary: 'Promise.then' },
      { url: 'https://a.test/build.js', line: 21, column: 2 },
      { url: 'https://a.test/main.js', line: 1, column: 1, asyncBoundary: 'setTimeout' },
    ]);
  });

  it('names an async parent without a description "async"', () => {
    const stack: CdpStackTrace = { callFrames: [call('https://a.test/a.js', 0, 0)], parent: { callFrames: [call('https://a.test/b.js', 1, 1)] } };
    expect(framesOfStack(stack)[1]?.asyncBoundary).toBe('async');
  });

  it('keeps the boundary of an async parent with no frames for the next frames', () => {
    const stack: CdpStackTrace = {
      callFrames: [call('https://a.test/a.js', 0, 0)],
      parent: { description: 'await', callFrames: [], parent: { description: 'Promise.then', callFrames: [call('https://a.test/b.js', 1, 1)] } },
    };
    expect(framesOfStack(stack)[1]).toEqual({ url: 'https://a.test/b.js', line: 2, column: 2, asyncBoundary: 'await' });
  });

  it('drops frames without a URL when others have one, moving an async boundary to the next frame kept', () => {
    const stack: CdpStackTrace = {
      callFrames: [call('', 0, 5, 'evalled'), call('https://a.test/a.js', 2, 3)],
      parent: { description: 'Promise.then', callFrames: [call('', 1, 1), call('https://a.test/b.js', 7, 7)] },
    };
    expect(framesOfStack(stack)).toEqual([
      { url: 'https://a.test/a.js', line: 3, column: 4 },
      { url: 'https://a.test/b.js', line: 8, column: 8, asyncBoundary: 'Promise.then' },
    ]);
  });

  it('keeps frames without a URL when no frame has one: a position is better than nothing', () => {
    const stack: CdpStackTrace = { callFrames: [call('', 0, 5, 'f'), call('', 3, 0)] };
    expect(framesOfStack(stack)).toEqual([
      { url: '', line: 1, column: 6, functionName: 'f' },
      { url: '', line: 4, column: 1 },
    ]);
  });

  it('fills an empty URL from the script id when the collector knows it', () => {
    const stack: CdpStackTrace = { callFrames: [call('', 0, 0, '', '77')] };
    expect(framesOfStack(stack, { urlOfScript: (id) => (id === '77' ? 'https://a.test/named.js' : undefined) })[0]?.url).toBe('https://a.test/named.js');
  });

  it(`caps a stack at ${MAX_FRAMES} frames`, () => {
    const deep: CdpStackTrace = { callFrames: Array.from({ length: 40 }, (_, i) => call('https://a.test/x.js', i, 0)) };
    deep.parent = { description: 'await', callFrames: Array.from({ length: 40 }, (_, i) => call('https://a.test/y.js', i, 0)) };
    const frames = framesOfStack(deep);
    expect(frames).toHaveLength(MAX_FRAMES);
    expect(frames[40]).toMatchObject({ url: 'https://a.test/y.js', line: 1, asyncBoundary: 'await' });
  });

  it('survives a cyclic parent chain', () => {
    const a: CdpStackTrace = { callFrames: [call('https://a.test/a.js', 0, 0)] };
    a.parent = a;
    expect(framesOfStack(a)).toHaveLength(1);
  });

  it('gives a parser-made request the tag location, 1-based', () => {
    expect(fromInitiator({ type: 'parser', url: 'https://a.test/', lineNumber: 11, columnNumber: 4 })).toEqual({
      initiators: [],
      parserLocation: { url: 'https://a.test/', line: 12, column: 5 },
    });
    expect(fromInitiator({ type: 'parser', url: 'https://a.test/', lineNumber: 0 }).parserLocation).toEqual({ url: 'https://a.test/', line: 1, column: 1 });
  });

  it('gives a module import without a stack a one-frame stack at the import', () => {
    expect(fromInitiator({ type: 'script', url: 'https://a.test/main.mjs', lineNumber: 2, columnNumber: 0 }).initiators).toEqual([
      { url: 'https://a.test/main.mjs', line: 3, column: 1 },
    ]);
  });

  it('gives nothing for the navigation, a preflight or no initiator', () => {
    expect(fromInitiator({ type: 'other' })).toEqual({ initiators: [] });
    expect(fromInitiator({ type: 'preflight', url: 'https://a.test/x', requestId: '9' })).toEqual({ initiators: [] });
    expect(fromInitiator(undefined)).toEqual({ initiators: [] });
    expect(fromInitiator({ type: 'parser' })).toEqual({ initiators: [] });
  });

  it('formats a frame as url:line:column', () => {
    expect(formatFrame({ url: 'https://a.test/a.js', line: 3, column: 14 })).toBe('https://a.test/a.js:3:14');
    expect(stackFromScriptUrl('https://a.test/a.js')).toEqual([{ url: 'https://a.test/a.js', line: 1, column: 1 }]);
    expect(stackFromScriptUrl('')).toEqual([]);
  });
});

describe('resolveAsyncParents', () => {
  it('fetches parents given only by id, without changing the input', async () => {
    const stack: CdpStackTrace = { callFrames: [call('https://w.test/worker.js', 0, 0)], parentId: { id: 'p1' } };
    const parent: CdpStackTrace = { description: 'Worker', callFrames: [call('https://w.test/page.js', 4, 4)], parentId: { id: 'p2' } };
    const asked: string[] = [];
    const resolved = await resolveAsyncParents(stack, async (id) => {
      asked.push(id.id);
      return id.id === 'p1' ? parent : undefined;
    });
    expect(asked).toEqual(['p1', 'p2']);
    expect(stack.parent).toBeUndefined();
    expect(framesOfStack(resolved).map(formatFrame)).toEqual(['https://w.test/worker.js:1:1', 'https://w.test/page.js:5:5']);
    expect(framesOfStack(resolved)[1]?.asyncBoundary).toBe('Worker');
  });

  it('stops at a failing fetch and after maxParents', async () => {
    const stack: CdpStackTrace = { callFrames: [], parentId: { id: 'x' } };
    await expect(resolveAsyncParents(stack, async () => Promise.reject(new Error('gone')))).resolves.toEqual(stack);
    let n = 0;
    const loop = async (): Promise<CdpStackTrace> => ({ callFrames: [call('https://a.test/a.js', n++, 0)], parentId: { id: 'again' } });
    const resolved = await resolveAsyncParents(stack, loop, 3);
    expect(framesOfStack(resolved)).toHaveLength(3);
  });
});
