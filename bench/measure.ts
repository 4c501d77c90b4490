// A small, honest timer: runs `op` over the inputs in batches, reports the
// median and p99 of per-batch ns/op. Batches (not single calls) because a
// timer read costs tens of ns, as much as what we measure.

export interface Figure {
  name: string;
  medianNs: number;
  p99Ns: number;
  ops: number;
}

let sink = 0; // keeps results alive so the JIT cannot drop the work

export function consume(value: unknown): void {
  if (value) sink++;
}

export function measure<T>(name: string, inputs: readonly T[], op: (input: T) => unknown, batches = 200): Figure {
  const batchSize = Math.max(1, Math.min(inputs.length, 500));
  // Warm up: let the JIT settle before timing.
  for (let i = 0; i < Math.min(20_000, inputs.length * 10); i++) consume(op(inputs[i % inputs.length]!));
  const perOp: number[] = [];
  let cursor = 0;
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) {
      consume(op(inputs[cursor]!));
      cursor = cursor + 1 === inputs.length ? 0 : cursor + 1;
    }
    perOp.push(Number(process.hrtime.bigint() - start) / batchSize);
  }
  perOp.sort((a, b) => a - b);
  return { name, medianNs: quantile(perOp, 0.5), p99Ns: quantile(perOp, 0.99), ops: batches * batchSize };
}

/**
 * p99 of single calls: each call timed on its own, less the cost of reading
 * the timer (measured the same way around nothing). Noisier than batches,
 * but it is the tail a single request sees.
 */
export function p99PerCall<T>(inputs: readonly T[], op: (input: T) => unknown, calls = 20_000): number {
  const overhead: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    overhead.push(Number(b - a));
    const input = inputs[i % inputs.length]!;
    const start = process.hrtime.bigint();
    consume(op(input));
    times.push(Number(process.hrtime.bigint() - start));
  }
  overhead.sort((x, y) => x - y);
  times.sort((x, y) => x - y);
  return Math.max(0, quantile(times, 0.99) - quantile(overhead, 0.5));
}

/** Times a whole operation (e.g. loading the table) `runs` times; median and p99 in ns. */
export function measureOnce(name: string, op: () => unknown, runs = 30): Figure {
  consume(op());
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    consume(op());
    times.push(Number(process.hrtime.bigint() - start));
  }
  times.sort((a, b) => a - b);
  return { name, medianNs: quantile(times, 0.5), p99Ns: quantile(times, 0.99), ops: runs };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
