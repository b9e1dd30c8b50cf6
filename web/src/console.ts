// The in-page Python REPL: Enter runs a complete statement (Shift+Enter always adds a line),
// ↑/↓ walk the history, Ctrl+C interrupts running code. Tracebacks are shown without
// Pyodide's own frames, which say nothing about the user's code.
import type { PythonRuntime } from './python';

export class PyConsole {
  private history: string[] = [];
  private cursor = 0;
  private busy = false;
  private runtime: PythonRuntime | null = null;

  constructor(
    private out: HTMLElement,
    private input: HTMLTextAreaElement,
    private runRepr: (code: string) => Promise<string | null>,
    private onHistory: (h: string[]) => void,
  ) {
    input.addEventListener('keydown', (e) => this.onKey(e));
  }

  attach(runtime: PythonRuntime, history: string[]) {
    this.runtime = runtime;
    this.history = history.slice(-200);
    this.cursor = this.history.length;
    this.input.disabled = false;
    this.write(
      `Python ${'(Pyodide)'} — pelican ${runtime.pelicanVersion ?? '(package missing)'}. ` +
        `\`app\` is this page, \`pelican\` the package. help(app) for more.\n` +
        'Python runs in its own thread: the page stays responsive while code runs, and Ctrl+C (or Esc) interrupts it, even a loop that never yields.\n',
      'muted',
    );
  }

  write(text: string, cls?: string) {
    const span = document.createElement('span');
    if (cls) span.className = cls;
    span.textContent = text;
    this.out.append(span);
    // Bound the transcript so a chatty script cannot grow the DOM without limit.
    while (this.out.childNodes.length > 2000) this.out.firstChild!.remove();
    this.out.scrollTop = this.out.scrollHeight;
  }

  private onKey(e: KeyboardEvent) {
    const ta = this.input;
    if (e.key === 'c' && e.ctrlKey && this.busy) {
      e.preventDefault();
      this.runtime?.interrupt();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      const code = ta.value;
      if (!this.runtime || this.busy) {
        e.preventDefault();
        return;
      }
      const caretAtEnd = ta.selectionStart === code.length;
      if (code.trim() === '') {
        e.preventDefault();
        void this.submit(code);
      } else if (caretAtEnd) {
        // Python (in its worker) says whether the entry is complete: run it, or add the line.
        e.preventDefault();
        void this.enter(code);
      }
      return;
    }
    const firstLine = !ta.value.slice(0, ta.selectionStart).includes('\n');
    const lastLine = !ta.value.slice(ta.selectionEnd).includes('\n');
    if (e.key === 'ArrowUp' && firstLine && this.history.length) {
      e.preventDefault();
      this.cursor = Math.max(0, this.cursor - 1);
      ta.value = this.history[this.cursor] ?? '';
    } else if (e.key === 'ArrowDown' && lastLine && this.history.length) {
      e.preventDefault();
      this.cursor = Math.min(this.history.length, this.cursor + 1);
      ta.value = this.history[this.cursor] ?? '';
    }
  }

  private async enter(code: string) {
    const complete = await this.runtime!.isComplete(code);
    if (this.input.value !== code) return; // typed on meanwhile
    if (complete) void this.submit(code);
    else this.input.setRangeText('\n', code.length, code.length, 'end');
  }

  async submit(code: string) {
    const src = code.replace(/\n+$/, '');
    this.input.value = '';
    if (src.trim() === '') return;
    if (this.history[this.history.length - 1] !== src) this.history.push(src);
    this.cursor = this.history.length;
    this.onHistory(this.history);
    this.write(
      src
        .split('\n')
        .map((l, i) => (i === 0 ? '>>> ' : '... ') + l)
        .join('\n') + '\n',
      'in',
    );
    this.busy = true;
    this.input.classList.add('busy');
    try {
      const repr = await this.runRepr(src);
      if (repr !== null && repr !== undefined) this.write(repr + '\n');
    } catch (e) {
      this.write(cleanTraceback(e instanceof Error ? e.message : String(e)) + '\n', 'err');
    } finally {
      this.busy = false;
      this.input.classList.remove('busy');
    }
  }
}

// Frames that say nothing about the user's code: Pyodide's machinery, the console's own runner,
// and the page's JavaScript (bundled and minified, so its names and lines mean nothing either).
const INTERNAL_FRAME = [
  /^\s+File "\/lib\/python[^"]*\/(_pyodide|pyodide)\//,
  /^\s+File "[^"]*pelican_app\.py", line \d+, in console_run$/,
  /^\s+File "(https?:|blob:|file:)/,
  /^\s+File "[^"]*\.m?js", line/,
];

export function cleanTraceback(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (INTERNAL_FRAME.some((re) => re.test(l))) {
      // A frame is its "File" line and the more deeply indented lines under it (code, carets, "...<n lines>...").
      while (i + 1 < lines.length && /^\s{4,}\S/.test(lines[i + 1]) && !/^\s+File "/.test(lines[i + 1])) i++;
      continue;
    }
    // A JavaScript error raised through Python: its own name says what went wrong.
    out.push(l.replace(/^pyodide\.ffi\.JsException: (?=\w+(Error|Exception)?: )/, ''));
  }
  return out.join('\n').trimEnd();
}
