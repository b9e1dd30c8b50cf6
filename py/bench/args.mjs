// The benchmarks' command lines: `--quick` and `--name value` options, anything else refused in
// one line naming what is known.
export function parseArgs(valued, fail) {
  const args = {};
  for (let i = 2; i < process.argv.length; i++) {
    const flag = process.argv[i];
    if (flag === '--quick') args.quick = true;
    else if (valued.includes(flag)) {
      if (i + 1 >= process.argv.length) fail(`${flag} needs a value`);
      args[flag.slice(2)] = process.argv[++i];
    } else fail(`unknown option '${flag}'; known: --quick, ${valued.join(', ')}`);
  }
  /** A comma-separated option as its trimmed items (the fallback text when it is absent). */
  const list = (name, fallback) =>
    (args[name] ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return { args, list };
}
