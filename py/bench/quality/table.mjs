// The markdown summary of one (resolution, mode): an image per row, a shape budget per column,
// each cell the methods' PSNR in order ("pelican / geometrize / …"); then the means, and for each
// other method the mean of pelican's per-image gaps to it (only over images both ran, so a missing
// run does not skew it).

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
  const means = budgets.map((n) => methods.map((m) => fmt(mean(column(n, m)))).join(' / '));
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
  return lines.join('\n');
}
