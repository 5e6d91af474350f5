// report.html of a run (harness/report/html.ts): the overview, then the cases, filterable, each opening to
// its RFC sentence, expected vs observed, and the conversation as a ladder diagram. The list is built at
// once (a row per case); a case's details and ladder are built only when it is opened.
'use strict';

const R = readData('report-data');
const CASES = R.cases || [];

const isExpectedFailure = (c) => !!c.expectedFailure && c.verdict === 'fail';
const isUnexpectedPass = (c) => !!c.expectedFailure && (c.verdict === 'pass' || c.verdict === 'lenient');
const isUnexpected = (c) => (c.verdict === 'fail' && !c.expectedFailure) || c.verdict === 'error' || isUnexpectedPass(c);
const sectionKey = (c) => `rfc${c.rfc.doc}-${c.rfc.section}`;
const sectionLabel = (c) => `RFC ${c.rfc.doc} §${c.rfc.section}`;
const NO_TAG = '(none)';
const tagsOf = (c) => (Array.isArray(c.tags) && c.tags.length ? c.tags : [NO_TAG]);

/** The verdict filter's choices beyond the verdicts themselves. */
const GROUPS = {
  unexpected: { label: 'unexpected', test: isUnexpected },
  deviations: { label: 'deviations', test: (c) => c.verdict !== 'pass' && c.verdict !== 'skip' },
};

const state = { verdict: '', tag: '', section: '', q: '', case: '' };
const rows = new Map(); // case id -> { c, details, text }

// ---- overview -------------------------------------------------------------------------------------------

function shellQuote(args) {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function counts(list, keyOf) {
  const m = new Map();
  for (const c of list) {
    for (const k of [].concat(keyOf(c))) {
      let row = m.get(k);
      if (!row) m.set(k, (row = { total: 0, pass: 0, lenient: 0, advisory: 0, fail: 0, error: 0, skip: 0, sample: c }));
      row.total++;
      row[c.verdict] = (row[c.verdict] || 0) + 1;
    }
  }
  return m;
}

function naturalCompare(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

function countTable(title, m, labelOf, onPick) {
  const keys = [...m.keys()].sort(naturalCompare);
  const head = el('tr', null, el('th', { text: title }), el('th', { class: 'n', text: 'cases' }), VERDICTS.map((v) => el('th', { class: 'n', text: v })));
  const body = keys.map((k) => {
    const r = m.get(k);
    return el(
      'tr',
      { class: 'click', title: `show only ${labelOf(k, r)}`, onclick: () => onPick(k) },
      el('td', null, labelOf(k, r)),
      el('td', { class: 'n', text: r.total }),
      VERDICTS.map((v) => el('td', { class: `n${(v === 'fail' || v === 'error') && r[v] ? ' bad' : ''}`, text: r[v] || '' })),
    );
  });
  return el('div', { class: 'scroll' }, el('table', { class: 'grid' }, el('thead', null, head), el('tbody', null, body)));
}

function capabilitiesPanel() {
  const caps = R.capabilities || (R.probe && R.probe.capabilities);
  if (!caps && !R.probe && !R.trust) return null;
  const kv = [];
  const list = (k, label) => {
    if (caps && Array.isArray(caps[k])) kv.push(el('dt', { text: label }), el('dd', { class: 'mono', text: caps[k].length ? caps[k].join(', ') : '(none)' }));
  };
  list('roles', 'roles');
  list('versions', 'versions');
  list('cipher_suites', 'cipher suites');
  list('groups', 'groups');
  list('signature_schemes', 'signature schemes');
  list('features', 'features');
  list('alpn', 'ALPN');
  if (caps && caps.client) for (const [k, v] of Object.entries(caps.client)) kv.push(el('dt', { text: `client role: ${k}` }), el('dd', { class: 'mono', text: [].concat(v).join(', ') }));
  if (R.probe) {
    const p = R.probe;
    kv.push(el('dt', { text: 'probe' }), el('dd', { text: `${p.handshakes} handshakes in ${ms(p.durationMs)}${R.capabilities ? ' (the lists above: what the cases ran with)' : ' (the lists above: what the probe found)'}` }));
    if (p.certificate) kv.push(el('dt', { text: 'certificate' }), el('dd', { text: `${p.certificate.subject} (${p.certificate.keyType}), issued by ${p.certificate.issuer}; chain ${p.certificate.chainValid === null ? 'not checked' : p.certificate.chainValid ? 'valid' : 'NOT valid' + (p.certificate.error ? `: ${p.certificate.error}` : '')}` }));
    for (const n of p.notes || []) kv.push(el('dt', { text: 'probe note' }), el('dd', { text: n }));
  }
  if (R.trust) kv.push(el('dt', { text: 'trust' }), el('dd', { text: `${R.trust.ca}; chain ${R.trust.verifyChain ? 'validated' : 'not validated'}${R.trust.reason ? ` (${R.trust.reason})` : ''}` }));
  const n = (k, what) => (caps && Array.isArray(caps[k]) ? `${caps[k].length} ${what}` : null);
  const brief = caps ? [caps.versions && caps.versions.join(', '), n('cipher_suites', 'cipher suites'), n('groups', 'groups'), n('signature_schemes', 'signature schemes'), n('features', 'features')].filter(Boolean).join('; ') : '';
  return el(
    'details',
    { class: 'panel', id: 'capabilities' },
    el('summary', null, el('b', { text: R.capabilities ? 'Capabilities the cases ran with' : R.probe ? 'Probed capabilities' : 'Trust' }), brief ? `: ${brief}` : ''),
    el('dl', { class: 'kv' }, kv),
  );
}

function overview() {
  const unexpected = CASES.filter(isUnexpected).length;
  const xf = CASES.filter(isExpectedFailure).length;
  const up = CASES.filter(isUnexpectedPass).length;
  const byVerdict = counts(CASES, (c) => c.verdict);
  const parts = [];
  parts.push(el('h1', { text: `tls-harness report: ${R.target}` }));
  parts.push(
    el(
      'p',
      { class: 'meta' },
      el('span', { text: `run ${R.runId}` }),
      el('span', { text: `started ${R.startedAt}` }),
      el('span', { text: `took ${duration(R.startedAt, R.finishedAt)}` }),
      el('span', { text: `${CASES.length} cases` }),
      R.tool ? el('span', { text: `${R.tool.name} ${R.tool.version}` }) : null,
    ),
  );
  if (R.interrupted) parts.push(el('div', { class: 'banner warn', text: 'Interrupted (Ctrl-C): the report holds the cases that finished.' }));
  parts.push(
    el('div', {
      class: `banner ${unexpected ? 'bad' : 'ok'}`,
      id: 'status',
      text: unexpected
        ? `${unexpected} unexpected result${unexpected === 1 ? '' : 's'} (a failure or error not listed as expected, or an expected failure that passed)`
        : `Every case as expected${xf ? ` (${xf} expected failure${xf === 1 ? '' : 's'})` : ''}.`,
    }),
  );
  const chips = el(
    'div',
    { class: 'chips', id: 'verdict-chips' },
    VERDICTS.filter((v) => byVerdict.has(v)).map((v) =>
      el('button', { class: 'chip', 'data-verdict': v, onclick: () => setFilter({ verdict: state.verdict === v ? '' : v }) }, verdictBadge(v), el('b', { text: byVerdict.get(v).total })),
    ),
    unexpected ? el('button', { class: 'chip', 'data-verdict': 'unexpected', onclick: () => setFilter({ verdict: state.verdict === 'unexpected' ? '' : 'unexpected' }) }, 'unexpected', el('b', { text: unexpected })) : null,
    xf ? el('span', { class: 'muted', text: `${xf} expected failure${xf === 1 ? '' : 's'}` }) : null,
    up ? el('span', { class: 'muted', text: `${up} expected failure${up === 1 ? '' : 's'} passed` }) : null,
  );
  parts.push(chips);
  const info = [];
  if (R.command) info.push(el('dt', { text: 'command' }), el('dd', null, el('code', { text: shellQuote(R.command) })));
  if (R.mergedFrom) info.push(el('dt', { text: 'merged from' }), el('dd', { text: R.mergedFrom.map((m) => `${m.runId} (${m.file})`).join(', ') }));
  info.push(el('dt', { text: 'finished' }), el('dd', { text: R.finishedAt }));
  parts.push(el('div', { class: 'panel' }, el('dl', { class: 'kv' }, info)));
  parts.push(capabilitiesPanel());
  const bad = (R.controls || []).filter((c) => c.verdict !== 'pass');
  if (R.controls && R.controls.length)
    parts.push(
      el(
        'details',
        { class: 'panel', open: bad.length > 0 },
        el('summary', { text: `Positive controls: ${R.controls.length - bad.length} of ${R.controls.length} unmutated handshakes completed` }),
        bad.map((c) => el('div', { class: 'control' }, verdictBadge(c.verdict), ' ', el('code', { text: c.key }), el('div', { class: 'muted', text: `${c.reason || ''} (${c.cases.length} case${c.cases.length === 1 ? '' : 's'})` }), c.transcript ? lazyLadder(c.transcript, /^(server|client) /.exec(c.key)?.[1]) : null)),
      ),
    );
  const differ = (R.groups || []).filter((g) => !g.equal);
  if (R.groups && R.groups.length)
    parts.push(
      el(
        'details',
        { class: 'panel', open: differ.length > 0 },
        el('summary', { text: `Indistinguishability groups: ${R.groups.length - differ.length} of ${R.groups.length} equal` }),
        differ.map((g) =>
          el(
            'div',
            null,
            el('b', { text: g.id }),
            el('table', { class: 'grid' }, g.variants.map((v, i) => el('tr', null, el('td', { class: 'mono', text: v }), el('td', { text: g.outcomes[i] === null ? '(left out)' : g.outcomes[i] })))),
            g.notes.map((n) => el('div', { class: 'muted', text: n })),
          ),
        ),
      ),
    );
  const bySection = counts(CASES, sectionKey);
  const byTag = counts(CASES, tagsOf);
  parts.push(
    el(
      'div',
      { class: 'cols' },
      el('div', null, el('h2', { text: 'By RFC section' }), countTable('section', bySection, (k, r) => sectionLabel(r.sample), (k) => setFilter({ section: state.section === k ? '' : k }))),
      el('div', null, el('h2', { text: 'By tag' }), countTable('tag', byTag, (k) => k, (k) => setFilter({ tag: state.tag === k ? '' : k }))),
    ),
  );
  return parts;
}

// ---- the case list --------------------------------------------------------------------------------------

function filterBar() {
  const tags = [...new Set(CASES.flatMap(tagsOf))].sort(naturalCompare);
  const sections = [...counts(CASES, sectionKey).entries()].sort((a, b) => naturalCompare(a[0], b[0]));
  const verdictOptions = [['', 'every verdict'], ...VERDICTS.map((v) => [v, v]), ...Object.entries(GROUPS).map(([k, g]) => [k, g.label])];
  return el(
    'div',
    { class: 'filters', id: 'filters' },
    el('input', { type: 'search', id: 'q', placeholder: 'search: id, title, reason, RFC text, message names...', 'aria-label': 'search', oninput: (e) => setFilter({ q: e.target.value }, true) }),
    select('verdict', 'verdict', verdictOptions, (v) => setFilter({ verdict: v })),
    select('tag', 'tag', [['', 'every tag'], ...tags.map((t) => [t, t])], (v) => setFilter({ tag: v })),
    select('section', 'RFC section', [['', 'every section'], ...sections.map(([k, r]) => [k, sectionLabel(r.sample)])], (v) => setFilter({ section: v })),
    el('button', { type: 'button', id: 'clear', onclick: () => setFilter({ verdict: '', tag: '', section: '', q: '' }) }, 'clear'),
    el('span', { class: 'count', id: 'count' }),
  );
}

function searchText(c) {
  const names = (c.transcript || []).map((e) => e.name).join(' ');
  const params = Object.entries(c.params || {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [c.id, c.title, c.verdict, c.reason, c.expected, c.observed, c.expectedFailure, c.rfc.quote, sectionLabel(c), (c.tags || []).join(' '), params, names, c.targetRole]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
}

function caseRow(c) {
  const xf = isExpectedFailure(c);
  const summary = el(
    'summary',
    null,
    verdictBadge(c.verdict, { expected: xf, title: xf ? `expected failure: ${c.expectedFailure}` : isUnexpectedPass(c) ? 'expected to fail, but passed' : undefined }),
    el('span', { class: 'cid', text: c.id }),
    el('span', { class: 'ctitle', text: c.reason && c.verdict !== 'pass' ? c.reason : c.title, title: c.title }),
    el('span', { class: 'csec', text: sectionLabel(c) }),
  );
  const d = el('details', { class: `case verdict-${c.verdict}`, 'data-id': c.id }, summary);
  let built = false;
  // Built when first opened (the toggle event comes a task later: openCase builds it at once).
  d.build = () => {
    if (built) return;
    built = true;
    d.append(caseBody(c));
  };
  d.addEventListener('toggle', () => {
    if (d.open) d.build();
    if (d.open) {
      if (state.case !== c.id) {
        state.case = c.id;
        writeHash(state);
      }
    } else if (state.case === c.id) {
      state.case = '';
      writeHash(state);
    }
  });
  return d;
}

function applyFilters() {
  const words = queryWords(state.q);
  const g = GROUPS[state.verdict];
  let shown = 0;
  for (const r of rows.values()) {
    const c = r.c;
    const ok =
      (!state.verdict || (g ? g.test(c) : c.verdict === state.verdict)) &&
      (!state.tag || tagsOf(c).includes(state.tag)) &&
      (!state.section || sectionKey(c) === state.section) &&
      (!words.length || matches(r.text || (r.text = searchText(c)), words));
    if (r.details.hidden === ok) r.details.hidden = !ok;
    if (ok) shown++;
  }
  document.getElementById('count').textContent = `${shown} of ${CASES.length} cases`;
  document.getElementById('count').setAttribute('data-shown', String(shown));
  document.getElementById('empty').hidden = shown > 0;
  for (const b of document.querySelectorAll('#verdict-chips .chip')) b.setAttribute('aria-pressed', String(b.getAttribute('data-verdict') === state.verdict));
}

function syncControls() {
  const q = document.getElementById('q');
  if (q.value !== state.q) q.value = state.q;
  for (const k of ['verdict', 'tag', 'section']) {
    const s = document.getElementById(k);
    if (![...s.options].some((o) => o.value === state[k])) state[k] = '';
    s.value = state[k];
  }
}

let hashTimer;
function setFilter(patch, typing) {
  Object.assign(state, patch);
  syncControls();
  applyFilters();
  // While typing, the URL follows a moment later (one history entry's worth of work, not one per key).
  clearTimeout(hashTimer);
  if (typing) hashTimer = setTimeout(() => writeHash(state), 250);
  else writeHash(state);
}

function openCase(id, scroll) {
  const r = rows.get(id);
  if (!r) return;
  if (r.details.hidden) {
    // A link to a case the filters hide: show it anyway by clearing the filters.
    Object.assign(state, { verdict: '', tag: '', section: '', q: '' });
    syncControls();
    applyFilters();
  }
  r.details.build();
  r.details.open = true;
  if (scroll) r.details.scrollIntoView({ block: 'start' });
}

function fromHash(h) {
  state.verdict = h.verdict || '';
  state.tag = h.tag || '';
  state.section = h.section || '';
  state.q = h.q || '';
  syncControls();
  applyFilters();
  if (h.case && rows.has(h.case)) {
    state.case = h.case;
    openCase(h.case, true);
  }
}

// ---- one case -------------------------------------------------------------------------------------------

function caseBody(c) {
  const body = el('div', { class: 'cbody' });
  const url = safeUrl(c.rfc.url);
  body.append(
    el('div', { class: 'ctitle-full' }, el('b', { text: c.title })),
    el(
      'blockquote',
      { class: 'rfc' },
      el('p', { text: `“${c.rfc.quote}”` }),
      el('div', null, '— ', url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: sectionLabel(c) }) : sectionLabel(c), ` (${String(c.rfc.level || 'must').toUpperCase()})`),
    ),
  );
  const why = [];
  const row = (label, value, cls) => {
    if (value === undefined || value === null || value === '') return;
    why.push(el('dt', { text: label }), el('dd', { class: cls }, value));
  };
  row('verdict', [verdictBadge(c.verdict), c.promotedFrom ? ` (was ${c.promotedFrom}: --strict)` : '']);
  row('expected', c.expected, 'expected');
  row('observed', c.observed, 'observed');
  row('reason', c.reason);
  if (c.step) row('step', [el('code', { text: `${scenarioPath(c.step.file)}:${c.step.line}:${c.step.col}` }), el('span', { class: 'muted', text: ` (step ${c.step.index + 1} of the scenario)` })]);
  if (c.expectedFailure) row('expected failure', isUnexpectedPass(c) ? `listed as an expected failure, but it passed: ${c.expectedFailure}` : c.expectedFailure);
  row('retried', c.retried ? `ran twice; the first run: ${c.retried}` : '');
  row('target role', c.targetRole ? `${c.targetRole} (the harness plays the ${c.targetRole === 'server' ? 'client' : 'server'})` : '');
  row('scenario', el('code', { text: c.scenarioId }));
  const params = Object.entries(c.params || {});
  if (params.length) row('parameters', el('code', { text: params.map(([k, v]) => `${k}=${v}`).join(', ') }));
  if (c.tags && c.tags.length) row('tags', c.tags.join(', '));
  row('duration', ms(c.durationMs));
  body.append(el('dl', { class: 'why' }, why));
  if (c.targetOutput) {
    const o = c.targetOutput;
    body.append(
      el(
        'details',
        { class: 'panel target-output', open: c.verdict !== 'pass' && c.verdict !== 'skip' },
        el('summary', { text: `target output: ${o.source}` }),
        o.stdout ? [el('div', { class: 'muted', text: 'stdout' }), el('pre', { text: o.stdout })] : null,
        o.stderr ? [el('div', { class: 'muted', text: 'stderr' }), el('pre', { text: o.stderr })] : null,
        !o.stdout && !o.stderr ? el('div', { class: 'muted', text: '(nothing)' }) : null,
      ),
    );
  }
  body.append(ladder(c.transcript || [], c.targetRole));
  return body;
}

/** A failed control's conversation: its ladder, built when opened. */
function lazyLadder(transcript, targetRole) {
  const d = el('details', null, el('summary', { text: `the conversation (${transcript.length} entries)` }));
  let built = false;
  d.addEventListener('toggle', () => {
    if (d.open && !built) {
      built = true;
      d.append(ladder(transcript, targetRole));
    }
  });
  return d;
}

/** Which side the harness is on: the client (target server) on the left, the server on the right. */
function harnessIsClient(transcript, targetRole) {
  if (targetRole === 'server') return true;
  if (targetRole === 'client') return false;
  // Reports written before targetRole: whoever sent the first ClientHello is the client.
  const hello = transcript.find((e) => e.kind === 'handshake' && e.name === 'ClientHello' && e.dir !== 'note');
  return hello ? hello.dir === 'sent' : true;
}

function ladder(transcript, targetRole) {
  const harnessLeft = harnessIsClient(transcript, targetRole);
  const side = (who) => el('span', { class: `side-${who}`, text: `${who === 'harness' ? 'harness' : 'target'} (${(who === 'harness') === harnessLeft ? 'client' : 'server'})` });
  const box = el('div', { class: 'ladder' }, el('div', { class: 'heads' }, el('div'), el('div', null, side(harnessLeft ? 'harness' : 'target'), side(harnessLeft ? 'target' : 'harness'))));
  if (!transcript.length) box.append(el('div', { class: 'empty', text: 'No conversation (the case ended before anything was sent).' }));
  for (const e of transcript) box.append(ladderRow(e, harnessLeft));
  return box;
}

function ladderRow(e, harnessLeft) {
  const t = el('div', { class: 't', text: typeof e.t === 'number' ? `${e.t} ms` : '' });
  if (e.dir === 'note') {
    const lane = el('div', { class: 'lane' }, el('span', { text: `${e.kind}: ${e.name}` }));
    if (e.detail !== undefined) lane.append(fieldsDetails(e.detail, [], false, 'details'));
    return el('div', { class: `row note kind-${cssWord(e.kind)}` }, t, lane);
  }
  // The sender's side: the harness sends `sent` entries.
  const fromLeft = (e.dir === 'sent') === harnessLeft;
  const changed = Array.isArray(e.changed) ? e.changed : [];
  const label = el(
    'div',
    { class: 'label' },
    el('span', { class: 'name', text: e.name }),
    el('span', { class: 'tag', text: e.kind }),
    e.epoch ? el('span', { class: 'tag', title: 'record keys', text: e.epoch }) : null,
    e.repeat ? el('span', { class: 'tag', title: 'the same entry, again and again', text: `×${e.repeat}${typeof e.lastT === 'number' ? ` until ${e.lastT} ms` : ''}` }) : null,
    changed.length ? el('span', { class: 'tag chg', title: 'fields the scenario changed', text: `changed: ${changed.join(', ')}` }) : null,
  );
  const lane = el('div', { class: 'lane' }, label, el('div', { class: 'arrow' }));
  if (e.detail !== undefined && e.detail !== null) lane.append(fieldsDetails(e.detail, changed, changed.length > 0, 'fields', e.name));
  if (e.wire) lane.append(wireDetails(e.wire, e.wireLength));
  return el('div', { class: `row ${e.dir} ${fromLeft ? 'ltr' : 'rtl'} kind-${cssWord(e.kind)}` }, t, lane);
}

function cssWord(s) {
  return String(s).replace(/[^\w-]/g, '_');
}

// ---- decoded fields -------------------------------------------------------------------------------------

function parsePath(path) {
  const segs = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    if (m[1] !== '') segs.push(m[1]);
    for (const x of m[2].matchAll(/\[(\d+)\]/g)) segs.push(Number(x[1]));
  }
  return segs;
}

/**
 * A `changed` path (as the scenario wrote it: `extensions.key_share.client_shares[0].group`, or a mutate
 * field `extensions[1].key_share.client_shares[0]`) as the path of a node in the decoded tree, or null.
 */
function resolvePath(detail, path, messageName) {
  if (path === messageName || path === '') return [];
  if (path === 'Handshake.msg_type') path = 'msg_type';
  const segs = parsePath(path);
  if (!segs) return null;
  const out = [];
  let cur = detail;
  let prev;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return null;
    if (typeof s === 'number') {
      if (!Array.isArray(cur) || s >= cur.length) return null;
      out.push(s);
      cur = cur[s];
    } else if (Array.isArray(cur) && prev === 'extensions') {
      // extensions.<name>: the extension of that type
      const i = cur.findIndex((x) => x && (x.type === s || x.extension_type === s));
      if (i < 0) return null;
      out.push(i);
      cur = cur[i];
    } else if (s in cur) {
      out.push(s);
      cur = cur[s];
    } else if (cur.type === s || ['params', 'curve_params', 'signed_params', 'exchange_keys'].includes(s)) {
      // `extensions[1].key_share`: the extension's own type, one level the decoded tree does not have
      continue;
    } else return null;
    prev = s;
  }
  return out;
}

const keyOf = (path) => path.map(String).join('\u0000');

function fieldsDetails(detail, changed, open, label, messageName) {
  const d = el('details', { class: 'fields-box', open });
  d.append(el('summary', { text: label }));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    d.append(fieldTree(detail, changed, messageName));
  };
  if (open) build();
  d.addEventListener('toggle', () => d.open && build());
  return d;
}

function fieldTree(detail, changed, messageName) {
  const box = el('div', { class: 'fields' });
  if (detail === null || typeof detail !== 'object') {
    box.append(el('pre', { text: typeof detail === 'string' ? detail : JSON.stringify(detail) }));
    return box;
  }
  const exact = new Set();
  const within = new Set();
  for (const p of changed) {
    const r = resolvePath(detail, p, messageName);
    if (!r) continue;
    exact.add(keyOf(r));
    for (let i = 0; i < r.length; i++) within.add(keyOf(r.slice(0, i)));
  }
  if (exact.has('')) box.classList.add('changed-all');
  for (const [k, v] of entriesOf(detail)) box.append(fieldNode(k, v, [k], exact, within, exact.has('')));
  return box;
}

function entriesOf(v) {
  return Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
}

function fieldNode(key, v, path, exact, within, inChanged) {
  const k = keyOf(path);
  const isChanged = exact.has(k);
  const keyText = typeof key === 'number' ? `[${key}]` : key;
  if (v !== null && typeof v === 'object') {
    const n = Array.isArray(v) ? v.length : Object.keys(v).length;
    const hint = Array.isArray(v) ? `[${n}]` : typeof v.type === 'string' ? v.type : `{${n}}`;
    const d = el('details', { class: `node${isChanged ? ' changed' : ''}`, open: within.has(k), 'data-path': path.join('.') });
    d.append(el('summary', null, el('span', { class: 'k', text: keyText }), ' ', el('span', { class: 'muted', text: hint })));
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      d.append(el('div', { class: 'kids' }, entriesOf(v).map(([ck, cv]) => fieldNode(ck, cv, path.concat(ck), exact, within, inChanged || isChanged))));
    };
    if (d.open) build();
    d.addEventListener('toggle', () => d.open && build());
    return d;
  }
  const val = typeof v === 'string' ? el('span', { class: 's', text: v }) : el('span', { class: 'num', text: String(v) });
  return el('div', { class: `leaf${isChanged ? ' changed' : ''}`, 'data-path': path.join('.') }, el('span', { class: 'k', text: keyText }), ': ', val);
}

// ---- raw bytes ------------------------------------------------------------------------------------------

function hexDump(hex) {
  const lines = [];
  for (let off = 0; off < hex.length; off += 32) {
    const chunk = hex.slice(off, off + 32);
    const bytes = chunk.match(/../g) || [];
    const ascii = bytes.map((b) => {
      const n = parseInt(b, 16);
      return n >= 0x20 && n < 0x7f ? String.fromCharCode(n) : '.';
    });
    const h = bytes.join(' ');
    lines.push(`${(off / 2).toString(16).padStart(6, '0')}  ${h.slice(0, 23).padEnd(23)}  ${h.slice(24).padEnd(23)}  ${ascii.join('')}`);
  }
  return lines.join('\n');
}

function wireDetails(wire, wireLength) {
  const n = wire.length / 2;
  const d = el('details', { class: 'wire' }, el('summary', { text: `bytes on the wire: ${wireLength ? `${wireLength} (first ${n} shown)` : n}` }));
  let built = false;
  d.addEventListener('toggle', () => {
    if (d.open && !built) {
      built = true;
      d.append(el('pre', { class: 'hex', text: hexDump(wire) }));
    }
  });
  return d;
}

// ---- start ----------------------------------------------------------------------------------------------

function main() {
  const t0 = performance.now();
  document.title = `tls-harness report: ${R.target} (${R.runId})`;
  const app = document.getElementById('app');
  app.textContent = '';
  const list = el('div', { id: 'cases' });
  for (const c of CASES) {
    const d = caseRow(c);
    rows.set(c.id, { c, details: d, text: '' });
    list.append(d);
  }
  app.append(...overview().filter(Boolean), el('h2', { text: 'Cases' }), filterBar(), list, el('div', { id: 'empty', class: 'empty', hidden: true, text: 'No case matches the filters.' }));
  fromHash(readHash());
  onHashChange(fromHash);
  document.body.setAttribute('data-ready', String(Math.round(performance.now() - t0)));
}

main();

/** A scenario file under the package root as the repository names it (scenarios/...); others as they are. */
function scenarioPath(file) {
  const root = document.getElementById('app')?.dataset.root ?? '';
  return root && file.startsWith(root) ? file.slice(root.length).replace(/^[\\/]+/, '') : file;
}
