/**
 * How every `npm run bench` benchmark prints its figures: one table a benchmark, provkit's
 * figure beside the baseline the issue names, and their ratio, so one run shows both.
 */

/** One row of a benchmark table: a figure for provkit and for the baseline. */
export interface BenchRow {
  measure: string;
  provkit: number;
  baseline: number;
}

/** Prints rows as `measure | provkit | baseline | ratio (provkit / baseline)`. */
export function printTable(title: string, rows: readonly BenchRow[], baselineName: string): void {
  const format = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(2));
  const lines = rows.map((row) => [row.measure, format(row.provkit), format(row.baseline), row.baseline === 0 ? '-' : (row.provkit / row.baseline).toFixed(3)]);
  const header = ['measure', 'provkit', `baseline: ${baselineName}`, 'ratio provkit/baseline'];
  const widths = header.map((cell, index) => Math.max(cell.length, ...lines.map((line) => line[index]!.length)));
  const render = (cells: string[]): string => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join(' | ');
  console.log(`\n${title}`);
  console.log(render(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('-|-'));
  for (const line of lines) console.log(render(line));
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
