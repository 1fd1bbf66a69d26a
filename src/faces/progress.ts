import { createRequire } from 'node:module';
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

/**
 * A bar with count, rate and ETA, drawn by cli-progress: redrawn in place on a TTY, plain
 * periodic lines otherwise (logs, CI). The library is loaded on the first bar, so importing
 * spindle stays fast.
 */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const label = options.label ?? 'spindle';
  const tty = stream.isTTY === true;
  const plainEveryMs = options.plainEveryMs ?? 1000;
  const lib = cliProgress();
  let latest: ProgressInfo = { done: 0, failed: 0, elapsedMs: 0 };
  let latestAt = performance.now();
  let state: 'idle' | 'running' | 'stopped' = 'idle';

  const format = (_opts: unknown, params: { maxWidth: number }): string => {
    const info = live(latest, performance.now() - latestAt);
    const line = progressLine(info, {
      label,
      bar: (fraction) =>
        lib.Format.BarFormat(fraction, {
          barsize: 24,
          barCompleteString: (tty ? '\u2588' : '#').repeat(25),
          barIncompleteString: (tty ? '\u2591' : '-').repeat(25),
          barGlue: '',
        }),
    });
    // Truncated rather than wrapped: a wrapped line cannot be redrawn in place.
    return tty ? line.slice(0, Math.max(10, params.maxWidth - 1)) : line;
  };
  const bar: BarInternals = new lib.SingleBar({
    stream,
    format,
    terminal: inPlaceTerminal(stream),
    fps: 10,
    noTTYOutput: true,
    notTTYSchedule: plainEveryMs,
    linewrap: true,
  } as ConstructorParameters<CliProgress['SingleBar']>[0]) as unknown as BarInternals;
  // cli-progress redraws on a timer of its own; unreferenced, it never keeps a process alive
  // whose caller forgot to finish a map.
  const render = bar.render.bind(bar);
  bar.render = (...args: unknown[]) => {
    render(...args);
    bar.timer?.unref?.();
  };

  const created = performance.now();
  let seen = false;
  return {
    update(info) {
      if (state === 'stopped') return;
      latest = info;
      latestAt = performance.now();
      seen = true;
      if (state === 'idle') {
        // In a log, a run shorter than one interval is one final line, not two.
        if (!tty && latestAt - created < plainEveryMs) return;
        state = 'running';
        bar.start(info.total ?? 0, info.done);
      } else bar.update(info.done);
    },
    clear() {
      if (state !== 'running' || !tty) return;
      stream.write('\r\u001b[2K');
      bar.lastDrawnString = '';
    },
    redraw() {
      if (state === 'running' && tty) bar.render();
    },
    stop() {
      if (state === 'idle' && seen) {
        stream.write(`${format(undefined, { maxWidth: 200 })}\n`);
      }
      if (state !== 'running') {
        state = 'stopped';
        return;
      }
      state = 'stopped';
      bar.update(latest.done);
      bar.stop();
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

type CliProgress = typeof import('cli-progress');
/** The parts of cli-progress's SingleBar used here, some of them undocumented. */
interface BarInternals {
  start(total: number, value: number): void;
  update(value: number): void;
  stop(): void;
  render(...args: unknown[]): void;
  timer: NodeJS.Timeout | null;
  lastDrawnString: string | null;
}
let loaded: CliProgress | undefined;

function cliProgress(): CliProgress {
  // A synchronous require keeps progressBar() synchronous, as the faces call it.
  loaded ??= createRequire(import.meta.url)('cli-progress') as CliProgress;
  return loaded;
}

/**
 * cli-progress's terminal, minus cursor save and restore: restoring the cursor at the end
 * jumps back over any line written while the bar ran (results on the same terminal) and the
 * next output would overwrite them.
 */
function inPlaceTerminal(stream: NodeJS.WriteStream): unknown {
  const Terminal = createRequire(import.meta.url)('cli-progress/lib/terminal.js') as new (
    stream: NodeJS.WriteStream,
  ) => {
    cursorSave(): void;
    cursorRestore(): void;
    write(text: string, raw?: boolean): void;
    newline(): void;
  };
  const terminal = new Terminal(stream);
  terminal.cursorSave = () => {};
  terminal.cursorRestore = () => {};
  // Off a TTY every line already ends with a newline; the one stop() adds would be blank.
  let atLineStart = true;
  const write = terminal.write.bind(terminal);
  const newline = terminal.newline.bind(terminal);
  terminal.write = (text: string, raw?: boolean) => {
    write(text, raw);
    if (text.length > 0) atLineStart = false;
  };
  terminal.newline = () => {
    if (stream.isTTY || !atLineStart) newline();
    atLineStart = true;
  };
  return terminal;
}
