// Small DOM helpers for Rewind Studio: elements are built with text nodes, never from HTML strings.

/**
 * Creates an element: `h('a', { href: '#/x', class: 'c' }, 'text', child)`. Attributes starting with
 * `on` are listeners; `false`, `null` and `undefined` attributes and children are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'value') element.value = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === false || child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A value as short text: strings quoted, objects as compact JSON (as the CLI's `show`). */
export function show(value) {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** A JSON block for a value. */
export function jsonBlock(value, label) {
  return h(
    'pre',
    { class: 'json', tabindex: 0, role: 'region', 'aria-label': label },
    JSON.stringify(value, null, 2),
  );
}

/** `items[0].qty`, from a microdiff path. */
export function formatPath(path) {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** State changes as a list: `+ field: value`, `- field`, `~ field: old → new` (as `rewind history`). */
export function changeList(changes) {
  if (!changes.length) return h('p', { class: 'muted' }, '(no state change)');
  return h(
    'ul',
    { class: 'changes' },
    changes.map((c) => {
      const path = formatPath(c.path);
      if (c.type === 'CREATE') return h('li', { class: 'add' }, `+ ${path}: ${show(c.value)}`);
      if (c.type === 'REMOVE') return h('li', { class: 'remove' }, `- ${path}`);
      return h('li', { class: 'change' }, `~ ${path}: ${show(c.oldValue)} → ${show(c.value)}`);
    }),
  );
}

/** Says `text` to screen readers. */
export function announce(text) {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

/** A table with a caption and a header row. */
export function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
