/** The bench's table and goal checks, from the rows the child processes report. */

export interface Cell {
  samples: number[];
  ok: boolean;
  detail?: string;
  /** samples are a series over time (memory growth), not repetitions */
  series?: boolean;
}
/** results[row][runner] */
export type Results = Record<string, Record<string, Cell>>;

const ORDER = [
  'W1',
  "W1'",
  'W2',
  'W3 map',
  'W3 1/call',
  'W3 8 chunks',
  'W4 shared',
  'W4 view as is',
  'W4 10 calls',
  'W4 whole+range as is',
  'W4 map as is',
  'W4 transfer',
  'W4 copy',
  'W5 import',
  'W5 first result',
  'W5 shutdown',
  'W6 map',
  'W6 8 chunks',
  'scale 100k',
  'scale 1M',
  'mem idle RSS',
  'mem growth',
];

const LABELS: Record<string, string> = {
  'W3 map': 'W3 map, default options',
  'W3 1/call': 'W3 one call per item, first 100k',
  'W4 shared': 'W4 (a) shared memory',
  'W4 view as is': 'W4 (b) plain, halves as views, two submits',
  'W4 10 calls': 'W4 (b) plain, 10 successive calls on one array',
  'W4 whole+range as is': 'W4 (b) plain, whole + range',
  'W4 map as is': 'W4 (b) plain, via map',
  'W4 transfer': 'W4 slice + transfer',
  'W4 copy': 'W4 slice + copy',
  'W6 map': 'W6 map, default options',
  'mem idle RSS': 'mem idle RSS (MB)',
  'mem growth': 'mem growth, last wave (MB)',
};

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The figure a cell stands for: the median of repetitions, or the last point of a series. */
export function value(cell: Cell | undefined): number | undefined {
  if (!cell || cell.samples.length === 0) return undefined;
  return cell.series ? cell.samples[cell.samples.length - 1] : median(cell.samples);
}

function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
}

function cellText(cell: Cell | undefined): string {
  if (!cell) return '';
  const bad = cell.ok ? '' : ' ✗';
  if (cell.samples.length === 1 || cell.series) return `${fmt(value(cell))}${bad}`;
  return `${fmt(value(cell))} (${fmt(Math.min(...cell.samples))}–${fmt(Math.max(...cell.samples))})${bad}`;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

export function renderTable(results: Results, runners: string[]): string {
  const rows = [
    ...ORDER.filter((r) => results[r]),
    ...Object.keys(results).filter((r) => !ORDER.includes(r)),
  ];
  const head = ['workload', ...runners, 'serial/spindle', 'spindle/raw', 'best peer/spindle'];
  const body = rows.map((row) => {
    const cells = results[row];
    const sp = value(cells.spindle);
    const peerValues = runners
      .filter((r) => !['serial', 'spindle', 'raw'].includes(r))
      .map((r) => value(cells[r]))
      .filter((v): v is number => v !== undefined);
    const timed = !row.startsWith('mem');
    return [
      LABELS[row] ?? row,
      ...runners.map((r) => cellText(cells[r])),
      timed ? fmt(ratio(value(cells.serial), sp)) : '',
      timed ? fmt(ratio(sp, value(cells.raw))) : '',
      timed && peerValues.length ? fmt(ratio(Math.min(...peerValues), sp)) : '',
    ];
  });
  return markdown(head, body);
}

export function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The goals of BENCH.md, checked against one run's medians. */
export function evaluateGoals(
  results: Results,
  peers: string[],
  sizes: { scaleSmall: number; scaleLarge: number },
): Goal[] {
  const v = (row: string, runner: string) => value(results[row]?.[runner]);
  const out: Goal[] = [];
  const add = (
    goal: string,
    measured: number | undefined,
    met: (x: number) => boolean,
    unit = '',
  ) =>
    out.push({
      goal,
      measured: measured === undefined ? 'not measured' : `${fmt(measured)}${unit}`,
      met: measured === undefined ? undefined : met(measured),
    });
  const w1 = ratio(v('W1', 'spindle'), v('W1', 'raw'));
  add('W1 ≤ 1.5 × raw floor', w1, (x) => x <= 1.5, ' × raw');
  add("W1' ≤ 10 ms", v("W1'", 'spindle'), (x) => x <= 10, ' ms');
  add('W2 ≥ 1.97 × serial', ratio(v('W2', 'serial'), v('W2', 'spindle')), (x) => x >= 1.97, ' ×');
  add(
    'W3 map default ≥ 1.6 × serial',
    ratio(v('W3 map', 'serial'), v('W3 map', 'spindle')),
    (x) => x >= 1.6,
    ' ×',
  );
  add(
    'W4 (a) shared ≥ 2 × serial',
    ratio(v('W4 shared', 'serial'), v('W4 shared', 'spindle')),
    (x) => x >= 2,
    ' ×',
  );
  const transfers = peers
    .map((p) => v('W4 transfer', p))
    .filter((x): x is number => x !== undefined);
  const bestTransfer = transfers.length ? Math.min(...transfers) : undefined;
  for (const row of ['W4 view as is', 'W4 whole+range as is', 'W4 map as is']) {
    add(
      `${LABELS[row]} ≤ best peer transfer (${fmt(bestTransfer)} ms)`,
      ratio(v(row, 'spindle'), bestTransfer),
      (x) => x <= 1,
      ' × peer',
    );
  }
  add('W5 first result ≤ 30 ms', v('W5 first result', 'spindle'), (x) => x <= 30, ' ms');
  add('W5 import ≤ 10 ms', v('W5 import', 'spindle'), (x) => x <= 10, ' ms');
  add(
    'W6 map default ≥ 1.5 × serial',
    ratio(v('W6 map', 'serial'), v('W6 map', 'spindle')),
    (x) => x >= 1.5,
    ' ×',
  );
  add(
    'W6 8 chunks ≥ 1.5 × serial',
    ratio(v('W6 8 chunks', 'serial'), v('W6 8 chunks', 'spindle')),
    (x) => x >= 1.5,
    ' ×',
  );
  const perTask = (row: string, n: number) => {
    const ms = v(row, 'spindle');
    return ms === undefined ? undefined : ms / n;
  };
  add(
    'scale: per task at 1M ≤ 1.5 × at 100k',
    ratio(perTask('scale 1M', sizes.scaleLarge), perTask('scale 100k', sizes.scaleSmall)),
    (x) => x <= 1.5,
    ' ×',
  );
  const growth = results['mem growth']?.spindle;
  if (growth) {
    const s = growth.samples;
    const half = s[Math.floor((s.length - 1) / 2)];
    const last = s[s.length - 1];
    out.push({
      goal: 'memory: growth levels off (2nd half of waves adds < 16 MB)',
      measured: `idle ${fmt(v('mem idle RSS', 'spindle'))} MB; growth by wave ${s.map((x) => fmt(x)).join(', ')} MB`,
      met: last - half < 16,
    });
  }
  return out;
}

export function renderGoals(goals: Goal[]): string {
  return markdown(
    ['goal (BENCH.md)', 'spindle', 'met'],
    goals.map((g) => [g.goal, g.measured, g.met === undefined ? '—' : g.met ? 'yes' : 'NO']),
  );
}
