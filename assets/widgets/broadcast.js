// A broadcasting playground: type two shapes, see them lined up from the right the way the
// rule reads them, and the result or the dimension where it fails.
// Placed by: <div class="widget" data-widget="broadcast"></div>
//            <script type="module" src="../assets/widgets/broadcast.js"></script>
import { el, uid, autoMount, onWidth } from './lib/ui.js';
import { parseShape, broadcastShape, alignShapes, formatShape } from './lib/broadcast.js';

const EXAMPLES = [
  ['1010, 28, 28', '28, 28', 'validation 3s minus the ideal 3'],
  ['5, 1, 28, 28', '4, 28, 28', 'every image against every ideal'],
  ['2038, 784', '784, 1', 'images times weights with *, where @ was meant'],
  ['256, 1', '256', 'predictions against targets: silently 256 by 256'],
  ['3, 1', '1, 4', 'a column and a row'],
];

function mount(root) {
  const field = (label, value) => {
    const id = uid('dw-shape');
    const input = el('input', { type: 'text', id, value, spellcheck: 'false', autocomplete: 'off', inputmode: 'text',
                                'aria-describedby': `${id}-err` });
    const err = el('span', { id: `${id}-err`, class: 'dw-error' });
    return { input, err, root: el('div', { class: 'dw-field' }, el('label', { for: id, text: label }), input, err) };
  };
  const a = field('First shape', '5, 1, 28, 28'), b = field('Second shape', '4, 28, 28');
  const table = el('table', { class: 'dw-bc-table', 'data-out': 'table' });
  const wrap = el('div', { class: 'dw-table-wrap', role: 'region', 'aria-label': 'The shapes aligned from the right' }, table);
  const result = el('p', { class: 'dw-status', 'aria-live': 'polite', 'data-out': 'result' });
  const examples = el('div', { class: 'dw-examples' }, el('span', { class: 'dw-help', text: 'Try:' }),
    ...EXAMPLES.map(([x, y, what]) => el('button', { type: 'button', 'aria-label': `(${x}) with (${y}): ${what}`,
      onclick: () => { a.input.value = x; b.input.value = y; update(); } }, `(${x}) with (${y})`)));

  root.classList.add('dw');
  root.append(
    el('p', { class: 'dw-help', text: 'Type two tensor shapes, such as 5, 1, 28, 28. Broadcasting lines them up from the right; in each position the sizes must be equal, or one of them 1 (a missing size counts as 1).' }),
    el('div', { class: 'dw-bc-inputs' }, a.root, b.root), examples,
    el('p', { class: 'dw-help', text: 'Aligned from the right. Orange: a size 1 or a missing size, stretched; red: sizes that clash.' }),
    wrap,
    result);

  function update() {
    const pa = parseShape(a.input.value), pb = parseShape(b.input.value);
    a.err.textContent = pa.error || ''; b.err.textContent = pb.error || '';
    a.input.setAttribute('aria-invalid', String(!!pa.error)); b.input.setAttribute('aria-invalid', String(!!pb.error));
    table.replaceChildren();
    if (pa.error || pb.error) { result.textContent = 'Fix the shape above to see how it broadcasts.'; root.dataset.ok = ''; return; }
    const shapes = [pa.shape, pb.shape], r = broadcastShape(...shapes), { rows, columns } = alignShapes(...shapes);
    table.append(el('thead', {}, el('tr', {}, el('td', { 'aria-hidden': 'true', style: 'border:0' }),
      ...columns.map(c => el('th', { scope: 'col', text: `dim ${c.dim}` })))));
    const body = el('tbody');
    rows.forEach((row, i) => {
      body.append(el('tr', {}, el('th', { scope: 'row', text: i ? 'second' : 'first' }),
        ...row.map((size, c) => {
          const col = columns[c];
          if (size === null) return el('td', { class: `dw-missing${col.stretched[i] ? ' dw-stretch' : ''}`,
            text: col.stretched[i] ? `(1) → ${col.result}` : '(1)', title: 'missing: counts as 1' });
          if (col.clash && size !== 1) return el('td', { class: 'dw-clash', text: `✗ ${size}` });
          return el('td', { class: col.stretched[i] ? 'dw-stretch' : '', text: col.stretched[i] ? `1 → ${col.result}` : String(size) });
        })));
    });
    body.append(el('tr', { class: 'dw-result' }, el('th', { scope: 'row', text: 'result' }),
      ...columns.map(c => el('td', { class: c.clash ? 'dw-clash' : '', text: c.clash ? '?' : String(c.result) }))));
    table.append(body);
    focusable();
    root.dataset.ok = String(r.ok);
    result.textContent = r.ok
      ? `${formatShape(pa.shape)} with ${formatShape(pb.shape)} broadcasts to ${formatShape(r.shape)}.`
      : `${formatShape(pa.shape)} with ${formatShape(pb.shape)} does not broadcast: dimension ${r.dim} has sizes ` +
        `${r.sizes[0]} and ${r.sizes[1]}, and neither is 1. PyTorch raises an error.`;
  }

  // When the table scrolls sideways (many dimensions, a narrow screen), the keyboard can reach it.
  function focusable() { wrap.tabIndex = wrap.scrollWidth > wrap.clientWidth ? 0 : -1; }
  onWidth(root, focusable);
  a.input.addEventListener('input', update);
  b.input.addEventListener('input', update);
  update();
  root.dataset.ready = 'true';
}

autoMount('broadcast', mount);
