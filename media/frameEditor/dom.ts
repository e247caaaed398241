/** The frame editor's page: its parts, a helper to make elements, buttons, and the toast for messages. */

export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

export const app = document.getElementById('app')!;
export const header = el('header');
export const bar = el('nav');
export const main = el('main');
main.tabIndex = 0;
export const spacer = el('div', 'spacer');
export const rows = el('div', 'rows');
spacer.append(rows);
export const inspector = el('footer');
export const toastBox = el('div', 'toast');
app.append(header, bar, main, inspector, toastBox);

export function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', undefined, label);
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

export function toast(text: string, level: 'info' | 'error' = 'info'): void {
  toastBox.textContent = text;
  toastBox.className = `toast show ${level}`;
  setTimeout(() => (toastBox.className = 'toast'), level === 'error' ? 6000 : 3000);
}
