// An aggregate's timeline: its events with their diffs (`rewind history`), its state at any revision or
// moment (`rewind travel`) and the first revision where a condition holds (`rewind bisect`).
import { get, seg } from './api.js';
import { announce, changeList, h, jsonBlock, replace } from './dom.js';

const PAGE = 50;

/** `#/aggregate/<type>/<id>?rev=&from=`. */
export async function timelinePage({ main, info, params, query }) {
  const [aggregate, id] = params;
  document.title = `${aggregate} ${id} · Rewind Studio`;
  const base = `aggregates/${seg(aggregate)}/${seg(id)}`;
  const wanted = query.rev === undefined ? undefined : Number(query.rev);
  const from =
    query.from !== undefined
      ? Number(query.from)
      : wanted !== undefined
        ? Math.floor(wanted / PAGE) * PAGE
        : 0;
  const page = await get(`${base}/timeline`, { from, limit: PAGE });
  const last = Number(page.lastRevision ?? page.events.at(-1)?.revision ?? 0);
  let current = wanted ?? last;

  const stateHeading = h('h2', { id: 'state-heading' }, `State at revision ${current}`);
  const stateBox = h('div', { id: 'state' });
  const slider = h('input', {
    id: 'revision',
    type: 'range',
    min: 0,
    max: last,
    step: 1,
    value: current,
    'aria-describedby': 'state-heading',
  });
  const sliderValue = h('output', { for: 'revision', id: 'revision-value' }, String(current));
  const timeError = h('p', { class: 'error', role: 'alert' });
  const bisectResult = h('div', { id: 'bisect-result', role: 'status', 'aria-live': 'polite' });
  const events = h('ol', { class: 'timeline', start: from, 'aria-label': 'Events' });

  const showState = async (revision) => {
    current = revision;
    slider.value = String(revision);
    sliderValue.textContent = String(revision);
    stateHeading.textContent = `State at revision ${revision}`;
    for (const li of events.children) {
      if (li.dataset.revision === String(revision)) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    const { state } = await get(`${base}/state`, { revision });
    if (current !== revision) return;
    replace(stateBox, jsonBlock(state, `State at revision ${revision}`));
    announce(`State at revision ${revision}`);
  };
  slider.addEventListener('input', () => void showState(Number(slider.value)));

  const jumpForm = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        const data = new FormData(jumpForm);
        timeError.textContent = '';
        try {
          const found = await get(`${base}/state`, {
            at: data.get('at'),
            businessTime: data.get('business') ? 'true' : undefined,
          });
          await showState(Number(found.revision));
        } catch (error) {
          timeError.textContent = error.message;
        }
      },
    },
    h('label', { for: 'jump-at' }, 'Jump to a time'),
    h('input', {
      id: 'jump-at',
      name: 'at',
      type: 'text',
      placeholder: '2026-05-01T12:00:00Z',
      autocomplete: 'off',
    }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'business' }), ' business time'),
    h('button', { type: 'submit' }, 'Jump'),
  );

  const bisectForm = h(
    'form',
    {
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        const data = new FormData(bisectForm);
        const where = data.get('where');
        const predicate = data.get('predicate');
        for (const li of events.querySelectorAll('.hit')) li.classList.remove('hit');
        try {
          const result = await get(`${base}/bisect`, where ? { where } : { predicate });
          if (!result.found) {
            replace(bisectResult, h('p', {}, `The condition (${result.condition}) never holds.`));
            return;
          }
          const revision = Number(result.revision);
          replace(
            bisectResult,
            h(
              'p',
              {},
              'First holds at revision ',
              h('strong', { id: 'bisect-revision' }, String(revision)),
              `, caused by ${result.type}.`,
            ),
            changeList(result.changes),
          );
          let hit = events.querySelector(`[data-revision="${revision}"]`);
          if (!hit) {
            // On another page of the timeline: go there, and bisect again there (a deep link).
            const again = new URLSearchParams({
              rev: String(revision),
              ...(where ? { where } : { predicate }),
            });
            location.hash = `#/aggregate/${seg(aggregate)}/${seg(id)}?${again}`;
            return;
          }
          hit.classList.add('hit');
          hit.querySelector('.badge-slot').replaceChildren(h('span', { class: 'badge' }, 'first holds here'));
          hit.scrollIntoView({ block: 'center' });
          await showState(revision);
        } catch (error) {
          replace(bisectResult, h('p', { class: 'error', role: 'alert' }, error.message));
        }
      },
    },
    h('label', { for: 'bisect-where' }, 'Condition'),
    h('input', {
      id: 'bisect-where',
      name: 'where',
      type: 'text',
      placeholder: 'status == "paid"',
      autocomplete: 'off',
    }),
    info.predicates.length
      ? [
          h('label', { for: 'bisect-predicate' }, 'or a named predicate'),
          h(
            'select',
            { id: 'bisect-predicate', name: 'predicate' },
            h('option', { value: '' }, 'none'),
            info.predicates.map((p) => h('option', { value: p }, p)),
          ),
        ]
      : null,
    h('button', { type: 'submit' }, 'Find first revision'),
  );

  for (const e of page.events) {
    events.append(
      h(
        'li',
        { 'data-revision': e.revision, id: `rev-${e.revision}` },
        h(
          'div',
          { class: 'event-head' },
          h(
            'button',
            {
              type: 'button',
              class: 'rev',
              onclick: () => void showState(Number(e.revision)),
              'aria-label': `Show state at revision ${e.revision}`,
            },
            `#${e.revision}`,
          ),
          h('strong', { class: 'type' }, e.type),
          h('span', { class: 'badge-slot' }),
        ),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'position'),
          h('dd', {}, e.position),
          h('dt', {}, 'recorded'),
          h('dd', {}, h('time', { datetime: e.recordedAt }, e.recordedAt)),
          h('dt', {}, 'occurred'),
          h('dd', {}, h('time', { datetime: e.occurredAt }, e.occurredAt)),
        ),
        changeList(e.changes),
        h(
          'p',
          { class: 'links' },
          h('a', { href: `#/causation/${seg(page.streamId)}/${e.revision}` }, `Causation of #${e.revision}`),
        ),
        h(
          'details',
          {},
          h('summary', {}, 'Metadata and payload'),
          jsonBlock(
            {
              eventId: e.eventId,
              correlationId: e.correlationId,
              causationId: e.causationId,
              metadata: e.metadata,
              event: e.event,
            },
            `Event ${e.revision}`,
          ),
        ),
      ),
    );
  }

  const pager = h(
    'nav',
    { class: 'pager', 'aria-label': 'Timeline pages' },
    from > 0
      ? h(
          'a',
          { href: `#/aggregate/${seg(aggregate)}/${seg(id)}?from=${Math.max(0, from - PAGE)}` },
          'Earlier events',
        )
      : null,
    from + PAGE <= last
      ? h(
          'a',
          { href: `#/aggregate/${seg(aggregate)}/${seg(id)}?from=${from + PAGE}`, rel: 'next' },
          'Later events',
        )
      : null,
  );

  replace(
    main,
    h('h1', {}, `${aggregate} ${id}`),
    h(
      'p',
      { class: 'muted' },
      `stream ${page.streamId} · ${last + 1} events · `,
      h('a', { href: `#/stream/${seg(page.streamId)}` }, 'stored events'),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'section',
        { 'aria-labelledby': 'timeline-heading', class: 'pane' },
        h('h2', { id: 'timeline-heading' }, 'Timeline'),
        events,
        pager,
      ),
      h(
        'section',
        { 'aria-labelledby': 'state-heading', class: 'pane sticky' },
        stateHeading,
        h('div', { class: 'slider' }, h('label', { for: 'revision' }, 'Revision'), slider, sliderValue),
        jumpForm,
        timeError,
        stateBox,
        h('h2', { id: 'bisect-heading' }, 'Bisect'),
        bisectForm,
        bisectResult,
      ),
    ),
  );
  await showState(current);
  if (query.where || query.predicate) {
    bisectForm.elements.where.value = query.where ?? '';
    if (bisectForm.elements.predicate) bisectForm.elements.predicate.value = query.predicate ?? '';
    bisectForm.requestSubmit();
  }
}
