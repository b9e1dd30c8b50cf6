// Keyboard use of the shape list and the timeline: their rows are focusable, Enter or Space acts
// as a click, and a row keeps the focus when the list is redrawn (every edit redraws it).

/** Call before clearing `list`; the returned function puts the focus back on the row at the same index. */
export function keepFocus(list: HTMLElement): () => boolean {
  const row = document.activeElement instanceof HTMLElement ? document.activeElement.closest('li') : null;
  const index = row && list.contains(row) ? row.dataset.index : undefined;
  return () => {
    if (index === undefined) return false;
    const rows = list.querySelectorAll<HTMLElement>('li');
    const next = list.querySelector<HTMLElement>(`li[data-index="${index}"]`) ?? rows[rows.length - 1];
    next?.focus({ preventScroll: false });
    return !!next;
  };
}

export function activateOnEnter(list: HTMLElement): void {
  list.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const li = (e.target as HTMLElement).closest('li');
    if (!li || !list.contains(li)) return;
    e.preventDefault();
    li.click();
  });
}
