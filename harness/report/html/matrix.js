// The matrix's report.html (harness/report/html.ts): the targets' totals, the deviations, and every case x
// target, each cell a link to that target's own report.html#case=<id> (no transcript is embedded here).
'use strict';

const M = readData('matrix-data');
const TARGETS = M.targets || [];
const MCASES = M.cases || [];
const mstate = { q: '', verdict: '', show: '' };
const mrows = [];

function targetDir(name) {
  const t = TARGETS.find((x) => x.name === name);
  return t ? t.reportDir : name;
}

function totals() {
  const head = el('tr', null, ['target', 'passed', 'lenient', 'advisory', 'failed (expected)', 'errors', 'skipped', 'as expected'].map((h, i) => el('th', { class: i && i < 7 ? 'n' : null, text: h })));
  const body = TARGETS.map((t) => {
    const s = t.summary;
    const name = el('td', null, s ? el('a', { href: reportLink(t.reportDir), text: t.name }) : t.name);
    if (!s) return el('tr', null, name, el('td', { colspan: 6, class: 'muted', text: '-' }), el('td', { class: 'bad', text: `NO: ${t.error || 'no report'}` }));
    return el(
      'tr',
      null,
      name,
      [s.passed, s.lenient, s.advisory, `${s.failed} (${s.expectedFailures})`, s.errors, s.skipped].map((n) => el('td', { class: 'n', text: n })),
      el('td', { class: t.ok ? null : 'bad', text: t.ok ? 'yes' : 'NO' }),
    );
  });
  return el('table', { class: 'grid' }, el('thead', null, head), el('tbody', null, body));
}

function deviations() {
  const box = el('div', { id: 'deviations' });
  if (!M.deviations.length) box.append(el('p', { class: 'muted', text: 'None: every target passed every case it ran.' }));
  for (const d of M.deviations) {
    const url = safeUrl(d.rfc.url);
    const who = el(
      'div',
      { class: 'who' },
      d.targets.map((t) => [
        el('a', { href: reportLink(targetDir(t.target), d.id), title: `${t.target}: open the case in its report` }, verdictBadge(t.verdict, { expected: !!t.expectedFailure }), ' ', t.target),
        el(
          'div',
          null,
          t.expected || t.observed ? `expected ${t.expected || '-'}, observed ${t.observed || '-'}` : t.reason || '',
          t.expectedFailure ? el('span', { class: 'muted', text: ` (expected failure: ${t.expectedFailure})` }) : null,
        ),
      ]),
    );
    box.append(
      el(
        'div',
        { class: 'dev', 'data-id': d.id },
        el('span', { class: 'cid', text: d.id }),
        ' ',
        el('span', { class: 'muted', text: d.shared ? `shared by ${d.targets.length} targets` : `only ${d.targets[0].target}` }),
        el('div', { class: 'muted' }, d.title, ' — ', url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: `RFC ${d.rfc.doc} §${d.rfc.section}` }) : `RFC ${d.rfc.doc} §${d.rfc.section}`),
        who,
      ),
    );
  }
  return box;
}

/** `${case id}\u0000${target}` -> the target's deviation on the case (expected vs observed, expected failure). */
const DEV = new Map();
for (const d of M.deviations || []) for (const t of d.targets) DEV.set(`${d.id}\u0000${t.target}`, t);

function cellTitle(target, verdict, dev) {
  if (!dev) return `${target}: ${verdict}`;
  const what = dev.expected || dev.observed ? `expected ${dev.expected || '-'}, observed ${dev.observed || '-'}` : dev.reason || '';
  return `${target}: ${verdict}${what ? `: ${what}` : ''}${dev.expectedFailure ? ` (expected failure: ${dev.expectedFailure})` : ''}`;
}

function grid() {
  const head = el('tr', null, el('th', { text: 'case' }), TARGETS.map((t) => el('th', { class: 't', text: t.name })));
  const body = el('tbody');
  for (const c of MCASES) {
    const vs = TARGETS.map((t) => c.verdicts[t.name]);
    const present = vs.filter(Boolean);
    const differs = new Set(present).size > 1;
    const deviates = present.some((v) => v !== 'pass' && v !== 'skip');
    const tr = el(
      'tr',
      { 'data-id': c.id },
      el('td', null, el('span', { class: 'cid', text: c.id }), el('div', { class: 'ctitle', text: c.title })),
      TARGETS.map((t, i) =>
        el('td', { class: 'cell' }, vs[i] ? cell(t, c.id, vs[i]) : el('span', { class: 'v v-none', title: `${t.name}: not run`, text: '-' })),
      ),
    );
    mrows.push({ c, tr, differs, deviates, text: `${c.id}\n${c.title}\n${c.rfc.quote}\nrfc ${c.rfc.doc} ${c.rfc.section}`.toLowerCase(), verdicts: new Set(present) });
    body.append(tr);
  }
  return el('div', { class: 'scroll tall' }, el('table', { class: 'grid matrix' }, el('thead', null, head), body));
}

function cell(t, id, verdict) {
  const dev = DEV.get(`${id}\u0000${t.name}`);
  return el('a', { href: reportLink(t.reportDir, id), title: cellTitle(t.name, verdict, dev) }, verdictBadge(verdict, { expected: !!(dev && dev.expectedFailure) }));
}

function mApply() {
  const words = queryWords(mstate.q);
  let shown = 0;
  for (const r of mrows) {
    const ok = (!words.length || matches(r.text, words)) && (!mstate.verdict || r.verdicts.has(mstate.verdict)) && (mstate.show !== 'differ' || r.differs) && (mstate.show !== 'deviate' || r.deviates);
    r.tr.hidden = !ok;
    if (ok) shown++;
  }
  const n = document.getElementById('count');
  n.textContent = `${shown} of ${MCASES.length} cases`;
  n.setAttribute('data-shown', String(shown));
}

function mSet(patch) {
  Object.assign(mstate, patch);
  document.getElementById('q').value = mstate.q;
  document.getElementById('verdict').value = mstate.verdict;
  document.getElementById('show').value = mstate.show;
  mApply();
  writeHash(mstate);
}

function mainMatrix() {
  document.title = `tls-harness matrix ${M.runId}`;
  const app = document.getElementById('app');
  app.textContent = '';
  const shared = M.deviations.filter((d) => d.shared).length;
  const ok = TARGETS.length > 0 && TARGETS.every((t) => t.ok);
  app.append(
    el('h1', { text: `tls-harness matrix ${M.runId}` }),
    el('p', { class: 'meta' }, el('span', { text: `${TARGETS.length} targets` }), el('span', { text: `${MCASES.length} cases` }), el('span', { text: `started ${M.startedAt}` }), el('span', { text: `took ${duration(M.startedAt, M.finishedAt)}` })),
    el('div', { class: `banner ${ok ? 'ok' : 'bad'}`, text: ok ? 'Every run as its target expects.' : 'Unexpected results: see the targets marked NO.' }),
    totals(),
    el('h2', { text: `Deviations: ${M.deviations.length} (${shared} shared by several targets)` }),
    el('div', { class: 'scroll' }, deviations()),
    el('h2', { text: 'Cases x targets' }),
    el(
      'div',
      { class: 'filters' },
      el('input', { type: 'search', id: 'q', placeholder: 'search: case id, title, RFC text...', 'aria-label': 'search', oninput: (e) => mSet({ q: e.target.value }) }),
      select('verdict', 'verdict', [['', 'any verdict'], ...VERDICTS.map((v) => [v, `some target: ${v}`])], (v) => mSet({ verdict: v })),
      select('show', 'show', [['', 'every case'], ['differ', 'cases whose verdicts differ'], ['deviate', 'cases some target deviates on']], (v) => mSet({ show: v })),
      el('span', { class: 'count', id: 'count' }),
    ),
    grid(),
  );
  const fromHashM = (h) => mSet({ q: h.q || '', verdict: h.verdict || '', show: h.show || '' });
  fromHashM(readHash());
  onHashChange(fromHashM);
}

mainMatrix();
