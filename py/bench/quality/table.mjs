// The markdown summary of one (resolution, mode): an image per row, a shape budget per column,
// each cell the methods' PSNR in order ("pelican / geometrize / …"); then the means, for each
// other method the mean of pelican's per-image gaps to it (only over images both ran, so a missing
// run does not skew it), and with several others the gap to the better of them on each image.

const fmt = (v) => (v === undefined ? '–' : v.toFixed(2));
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);

export function table(records, images, budgets, methods = ['pelican', 'geometrize']) {
  const psnr = (image, budget, method) =>
    records.find((r) => r.image === image && r.shapes_budget === budget && r.method === method)?.psnr;
  const lines = [
    `| image | ${budgets.map((n) => `N=${n}`).join(' | ')} |`,
    `|---|${budgets.map(() => '---').join('|')}|`,
  ];
  const shown = images.filter((image) => records.some((r) => r.image === image));
  for (const image of shown) {
    const cells = budgets.map((n) => methods.map((m) => fmt(psnr(image, n, m))).join(' / '));
    lines.push(`| ${image} | ${cells.join(' | ')} |`);
  }
  const column = (n, method) => shown.map((image) => psnr(image, n, method)).filter((v) => v !== undefined);
  // A method run on fewer images than the table shows gets its mean marked: it is not comparable.
  const means = budgets.map((n) =>
    methods
      .map((m) => {
        const values = column(n, m);
        return fmt(mean(values)) + (values.length && values.length < shown.length ? '*' : '');
      })
      .join(' / '),
  );
  lines.push(`| **mean** | ${means.join(' | ')} |`);
  if (!methods.includes('pelican')) return lines.join('\n');
  for (const other of methods.filter((m) => m !== 'pelican')) {
    const gaps = budgets.map((n) => {
      const both = shown
        .map((image) => [psnr(image, n, 'pelican'), psnr(image, n, other)])
        .filter(([p, g]) => p !== undefined && g !== undefined);
      const gap = mean(both.map(([p, g]) => p - g));
      return gap === undefined ? '–' : `${gap >= 0 ? '+' : ''}${gap.toFixed(2)}`;
    });
    lines.push(`| **pelican − ${other}** | ${gaps.join(' | ')} |`);
  }
  const others = methods.filter((m) => m !== 'pelican');
  if (others.length > 1) {
    // The goal's own terms: against the better of the others on each image, and the worst image.
    const cells = budgets.map((n) => {
      const leads = shown
        .map((image) => {
          const theirs = others.map((m) => psnr(image, n, m)).filter((v) => v !== undefined);
          const ours = psnr(image, n, 'pelican');
          return ours === undefined || !theirs.length ? undefined : ours - Math.max(...theirs);
        })
        .filter((v) => v !== undefined);
      if (!leads.length) return '–';
      const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
      return `${signed(mean(leads))} (worst ${signed(Math.min(...leads))})`;
    });
    lines.push(`| **pelican − the better other, mean (worst image)** | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
