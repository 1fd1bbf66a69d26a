/**
 * Percentiles of durations in constant memory: log-spaced buckets, four per doubling, from
 * 1 µs to about 4.6 hours. Accurate to about 19%, which is enough to tell a 1 ms task from
 * a 1 s one and to watch queueing delay grow.
 */
const BUCKETS_PER_DOUBLING = 4;
const BUCKETS = 34 * BUCKETS_PER_DOUBLING;

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;
  #sum = 0;

  record(ms: number): void {
    const us = ms * 1000;
    const bucket =
      us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * BUCKETS_PER_DOUBLING));
    this.#counts[bucket]++;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  summary(): DurationSummary {
    return {
      count: this.#count,
      mean: this.#count ? this.#sum / this.#count : 0,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.#max,
    };
  }

  percentile(q: number): number {
    if (this.#count === 0) return 0;
    const target = q * this.#count;
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b];
      if (seen >= target)
        return Math.min(this.#max, 2 ** ((b + 0.5) / BUCKETS_PER_DOUBLING) / 1000);
    }
    return this.#max;
  }
}

/** Durations in milliseconds. */
export interface DurationSummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
