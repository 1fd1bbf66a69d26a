import type { ProgressCallback, ProgressReporter } from './map.js';

/**
 * Turns a face's `progress` option into a reporter: a function receives the counts; `true`
 * draws a bar on stderr (see cli/progress-bar.ts), loaded only when asked for.
 */
export function progressReporter(progress: true | ProgressCallback): ProgressReporter {
  const started = performance.now();
  const callback: ProgressCallback = typeof progress === 'function' ? progress : stderrBar();
  let last: { done: number; failed: number; total: number | undefined } | undefined;
  return {
    update(done, failed, total) {
      last = { done, failed, total };
      const elapsedMs = performance.now() - started;
      const etaMs =
        total !== undefined && done > 0 ? (elapsedMs / done) * (total - done) : undefined;
      callback({ done, failed, total, elapsedMs, etaMs });
    },
    finish() {
      if (typeof progress !== 'function') {
        (callback as ProgressCallback & { end?: (l: typeof last) => void }).end?.(last);
      }
    },
  };
}

function stderrBar(): ProgressCallback & { end: () => void } {
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  let lastLine = '';
  const draw = (info: Parameters<ProgressCallback>[0], force = false) => {
    const now = performance.now();
    if (!force && now - lastDraw < (tty ? 100 : 1000)) return;
    lastDraw = now;
    const rate = info.elapsedMs > 0 ? (info.done / info.elapsedMs) * 1000 : 0;
    const pct = info.total ? Math.floor((100 * info.done) / info.total) : undefined;
    const width = 30;
    const bar =
      pct === undefined
        ? ''
        : `[${'#'.repeat(Math.round((width * pct) / 100)).padEnd(width, '-')}] ${pct}% `;
    const eta = info.etaMs === undefined ? '' : ` eta ${(info.etaMs / 1000).toFixed(1)}s`;
    const failed = info.failed ? ` ${info.failed} failed` : '';
    lastLine = `${bar}${info.done}${info.total !== undefined ? `/${info.total}` : ''} ${rate.toFixed(0)}/s${eta}${failed}`;
    process.stderr.write(tty ? `\r${lastLine}\u001b[K` : `${lastLine}\n`);
  };
  let latest: Parameters<ProgressCallback>[0] | undefined;
  const fn = ((info) => {
    latest = info;
    draw(info);
  }) as ProgressCallback & { end: () => void };
  fn.end = () => {
    if (latest) draw(latest, true);
    if (tty && lastLine) process.stderr.write('\n');
  };
  return fn;
}
