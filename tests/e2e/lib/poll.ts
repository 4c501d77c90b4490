/**
 * Polling helpers: the e2e harness waits on conditions, never on fixed sleeps.
 */

export interface PollOptions {
  /** Give up after this many ms (default 10 000). */
  timeoutMs?: number;
  /** Pause between attempts in ms (default 50). */
  intervalMs?: number;
}

/** Thrown when a poll gives up; the message names what was awaited and the last value/error seen. */
export class PollTimeoutError extends Error {
  override name = 'PollTimeoutError';
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Calls `probe` until `accept(result)` holds and returns that result.
 * Errors thrown by `probe` count as "not yet" (a target may be restarting, a page still
 * navigating); the last one is quoted in the timeout message.
 *
 * @param what human-readable description of the awaited condition, used in the error.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T> | T,
  accept: (value: T) => boolean,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: { kind: 'none' } | { kind: 'value'; value: T } | { kind: 'error'; error: unknown } = { kind: 'none' };
  for (;;) {
    try {
      const value = await probe();
      if (accept(value)) return value;
      last = { kind: 'value', value };
    } catch (error) {
      last = { kind: 'error', error };
    }
    if (Date.now() >= deadline) {
      const detail =
        last.kind === 'value'
          ? `last value: ${describe(last.value)}`
          : last.kind === 'error'
            ? `last error: ${describe(last.error)}`
            : 'probe never completed';
      throw new PollTimeoutError(`Timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** Like {@link pollUntil} but for probes returning a truthy value when done. */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  options: PollOptions = {},
): Promise<T> {
  return pollUntil(what, probe, (v) => Boolean(v), options);
}

/** Rejects with a clear message if `promise` does not settle within `ms`. */
export async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PollTimeoutError(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
