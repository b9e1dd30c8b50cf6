// The live loss plot (uPlot). Points arrive at the worker's progress rate; the chart redraws at
// most once per animation frame.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossChart {
  private plot: uPlot;
  private xs: number[] = [];
  private total: number[] = [];
  private mse: number[] = [];
  private pending = false;

  constructor(private el: HTMLElement) {
    this.plot = new uPlot(this.options(), [[], [], []], el);
    new ResizeObserver(() => this.plot.setSize(this.size())).observe(el);
  }

  private size() {
    return { width: Math.max(200, this.el.clientWidth - 8), height: 190 };
  }

  private options(): uPlot.Options {
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--muted').trim() || '#888';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    return {
      ...this.size(),
      // Linear: the interesting part of a run is a factor of 2-5, where a log axis has no labels.
      scales: { x: { time: false }, y: { auto: true } },
      axes: [
        { ...axis, label: 'step' },
        { ...axis, size: 60, values: (_u, v) => v.map((x) => (x == null ? '' : +x.toPrecision(3) + '')) },
      ],
      series: [
        { label: 'step' },
        {
          label: 'total',
          stroke: css.getPropertyValue('--accent').trim() || '#2f6f8f',
          width: 1.5,
          value: (_u, v) => (v == null ? '–' : v.toFixed(5)),
        },
        {
          label: 'mse',
          stroke: css.getPropertyValue('--sel').trim() || '#e8712a',
          width: 1,
          value: (_u, v) => (v == null ? '–' : v.toFixed(5)),
        },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
  }

  /** Re-creates the plot so axis colours follow the theme. */
  restyle() {
    this.plot.destroy();
    this.plot = new uPlot(this.options(), [[], [], []], this.el);
    this.schedule();
  }

  setData(xs: number[], total: number[], mse: number[]) {
    this.xs = xs.slice();
    this.total = total.slice();
    this.mse = mse.slice();
    this.schedule();
  }

  push(x: number, total: number, mse: number) {
    this.xs.push(x);
    this.total.push(total);
    this.mse.push(mse);
    this.schedule();
  }

  get length() {
    return this.xs.length;
  }

  private schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      // Steps without a value (greedy rounds report only the total) are gaps, not zeros.
      const gap = (a: number[]) => a.map((v) => (Number.isFinite(v) ? v : null));
      this.plot.setData([this.xs, gap(this.total), gap(this.mse)] as uPlot.AlignedData);
      // With no cursor over the plot, the legend shows the latest values.
      if (this.xs.length) this.plot.setLegend({ idx: this.xs.length - 1 });
    });
  }
}
