// A one-line notice under the status line, with at most one action (Undo, Resume): for what the
// page did on the user's behalf and can take back or carry on.

export interface NoticeAction {
  label: string;
  run(): void;
}

export function showNotice(el: HTMLElement, text: string | null, action?: NoticeAction): void {
  el.replaceChildren();
  el.hidden = !text;
  if (!text) return;
  const span = document.createElement('span');
  span.textContent = text;
  el.append(span);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.label;
    b.addEventListener('click', () => {
      showNotice(el, null);
      action.run();
    });
    el.append(b);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'ghost';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => showNotice(el, null));
  el.append(close);
}
