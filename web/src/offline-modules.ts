// Pyodide answers `import numpy` with a note to run micropip.install or loadPackage. Neither can
// work here: the page is offline and ships Python's standard library and pelican only. The note
// is replaced by one that says so.

const NOTE =
  /(ModuleNotFoundError: No module named '([^']+)')\n(?:The module[^\n]*\n(?:You can install[^\n]*\n)?(?:\s+await [^\n]*\n)*(?:See https:[^\n]*\n?)?)?/;

export function offlineModuleMessage(module: string): string {
  return (
    `'${module}' is not available: this page runs offline, with Python's standard library and the pelican package only ` +
    '(nothing can be installed: there is no micropip, and loadPackage has no packages to load).'
  );
}

/** The traceback text with Pyodide's install note replaced by what is available offline. */
export function explainMissingModule(text: string): string {
  return text.replace(
    NOTE,
    (_all, head: string, module: string) => `${head}\n${offlineModuleMessage(module.split('.')[0])}\n`,
  );
}
