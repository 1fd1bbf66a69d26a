import type { ProgressCallback, ProgressInfo, ProgressReporter } from './map.js';

/**
 * Turns a face's `progress` option into a reporter: a function receives the counts; `true`
 * draws a bar on stderr with {@link progressBar}.
 */
export function progressReporter(progress: true | ProgressCallback): ProgressReporter {
  const started = performance.now();
  const bar = typeof progress === 'function' ? undefined : progressBar();
  const callback: ProgressCallback =
    typeof progress === 'function' ? progress : (info) => bar!.update(info);
  return {
    update(done, failed, total) {
      const elapsedMs = performance.now() - started;
      const etaMs =
        total !== undefined && done > 0 ? (elapsedMs / done) * (total - done) : undefined;
      callback({ done, failed, total, elapsedMs, etaMs });
    },
    finish() {
      bar?.stop();
    },
  };
}

/** A progress display fed with {@link ProgressInfo}; see {@link progressBar}. */
export interface ProgressBar {
  /** Shows the latest counts (redrawn at most 10 times a second on a TTY). */
  update(info: ProgressInfo): void;
  /** Erases the bar from a TTY line so other output can be written there; then call `redraw`. */
  clear(): void;
  /** Draws the bar again now (after `clear` and other output). */
  redraw(): void;
  /** Draws the final counts and ends the line. Safe to call more than once. */
  stop(): void;
}

export interface ProgressBarOptions {
  /** Where to draw. Default `process.stderr`. */
  stream?: NodeJS.WriteStream;
  /** Words before the bar. Default `'spindle'`. */
  label?: string;
  /** Milliseconds between plain lines when the stream is not a TTY. Default 1000. */
  plainEveryMs?: number;
}

/** Redraws per second on a TTY, at most. */
const FPS = 10;
const BAR_WIDTH = 24;
const CLEAR_LINE = '\r\u001b[2K';

/**
 * A bar with count, rate and ETA: redrawn in place on a TTY (at most 10 times a second, on an
 * unreferenced timer, so a bar never keeps a process alive), plain periodic lines otherwise
 * (logs, CI). spindle draws it itself: one line of text needs no library, and a library's
 * renderer would need patching to leave lines written while the bar runs where they are.
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const label = options.label ?? 'spindle';
  const tty = stream.isTTY === true;
  const plainEveryMs = options.plainEveryMs ?? 1000;
  let latest: ProgressInfo = { done: 0, failed: 0, elapsedMs: 0 };
  let latestAt = performance.now();
  let state: 'idle' | 'running' | 'stopped' = 'idle';
  let timer: NodeJS.Timeout | undefined;
  let drawn = '';

  const text = (maxWidth: number): string => {
    const info = live(latest, performance.now() - latestAt);
    const full = tty ? '\u2588' : '#';
    const empty = tty ? '\u2591' : '-';
    const line = progressLine(info, {
      label,
      bar: (fraction) => {
        const filled = Math.round(fraction * BAR_WIDTH);
        return full.repeat(filled) + empty.repeat(BAR_WIDTH - filled);
      },
    });
    // Truncated rather than wrapped: a wrapped line cannot be redrawn in place.
    return tty ? line.slice(0, Math.max(10, maxWidth - 1)) : line;
  };
  const draw = () => {
    if (tty) {
      const line = text(stream.columns || 80);
      if (line !== drawn) stream.write(`${CLEAR_LINE}${line}`);
      drawn = line;
    } else stream.write(`${text(Number.POSITIVE_INFINITY)}\n`);
  };
  const start = () => {
    state = 'running';
    draw();
    timer = setInterval(draw, tty ? 1000 / FPS : plainEveryMs);
    timer.unref?.();
  };

  const created = performance.now();
  let seen = false;
  return {
    update(info) {
      if (state === 'stopped') return;
      latest = info;
      latestAt = performance.now();
      seen = true;
      // In a log, a run shorter than one interval is one final line, not two.
      if (state === 'idle' && (tty || latestAt - created >= plainEveryMs)) start();
    },
    clear() {
      if (state !== 'running' || !tty) return;
      stream.write(CLEAR_LINE);
      drawn = '';
    },
    redraw() {
      if (state === 'running' && tty) draw();
    },
    stop() {
      if (state === 'stopped') return;
      const wasRunning = state === 'running';
      state = 'stopped';
      clearInterval(timer);
      if (!wasRunning && !seen) return;
      if (tty) {
        drawn = '';
        draw();
        stream.write('\n');
      } else draw();
    },
  };
}

/** The counts as of now: elapsed time moves on between updates, and the ETA counts down. */
function live(info: ProgressInfo, sinceMs: number): ProgressInfo {
  return {
    ...info,
    elapsedMs: info.elapsedMs + sinceMs,
    etaMs: info.etaMs === undefined ? undefined : Math.max(0, info.etaMs - sinceMs),
  };
}

/**
 * One line of progress text, `label [bar] 45% | 450/1000 | 1,234/s | ETA 4s | 2 failed`; the
 * bar and percentage only when the total is known.
 */
export function progressLine(
  info: ProgressInfo,
  parts: { label: string; bar?: (fraction: number) => string },
): string {
  const fields: string[] = [];
  const { done, total, failed } = info;
  let head = parts.label;
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, done / total);
    if (parts.bar) head += ` ${parts.bar(fraction)}`;
    head += ` ${String(Math.floor(fraction * 100)).padStart(3)}%`;
    fields.push(`${done}/${total}`);
  } else fields.push(`${done} done`);
  const rate = info.elapsedMs > 0 ? (done * 1000) / info.elapsedMs : 0;
  fields.push(`${formatRate(rate)}/s`);
  if (total !== undefined && done < total && info.etaMs !== undefined) {
    fields.push(`ETA ${formatDuration(info.etaMs)}`);
  } else fields.push(`${formatDuration(info.elapsedMs)} elapsed`);
  if (failed > 0) fields.push(`${failed} failed`);
  return [head, ...fields].join(' | ');
}

function formatRate(perSecond: number): string {
  if (perSecond >= 100) return Math.round(perSecond).toLocaleString('en-US');
  return perSecond.toFixed(perSecond >= 10 ? 1 : 2);
}

/** `850ms`, `4.2s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  if (m < 60) return `${m}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
