// page-alerts.js - #/alerts: the alerts the rules raised, newest first,
// with filters (time, minimum level, rule, source address, host), a text
// search, and grouping by rule or by source (GET /api/v1/alerts).  The
// filters live in the route (#/alerts?level=7&q=ssh), so a view can be
// bookmarked and the back button works.  New alerts that match the
// filters come in live at the top.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill } from './dom.js';
import { api } from './api.js';
import { t, fmtNumber } from './i18n.js';
import {
	dataTable, errorBox, field, levelBadge, loading, pageHeader, select,
	timeEl, button, clip, busy,
} from './ui.js';

const FILTERS = ['since', 'level', 'rule', 'srcip', 'host', 'q', 'group'];

export function sinceOptions() {
	return [['', t('time.any')], ['-1h', t('time.1h')], ['-24h', t('time.24h')],
	    ['-7d', t('time.7d')], ['-30d', t('time.30d')]];
}

function levelOptions() {
	return [['', t('alerts.level.any')], ['3', '3+'], ['5', '5+'],
	    ['7', t('alerts.level.medium')], ['10', t('alerts.level.high')],
	    ['13', t('alerts.level.critical')]];
}

// Whether a live alert belongs in the list as filtered.
function matches(a, f) {
	if (f.level && !(Number(a.level) >= Number(f.level)))
		return false;
	if (f.rule && String(a.rule_id) !== String(f.rule))
		return false;
	if (f.srcip && String(a.srcip ?? '') !== f.srcip)
		return false;
	if (f.host && String(a.host ?? '').toLowerCase() !== f.host.toLowerCase())
		return false;
	if (f.q) {
		const q = f.q.toLowerCase();
		const hay = [a.description, a.host, a.srcip, a.user, a.rule_id,
		    ...(Array.isArray(a.groups) ? a.groups : [])]
		    .map((x) => String(x ?? '').toLowerCase());
		if (!hay.some((x) => x.includes(q)))
			return false;
	}
	return true;
}

function alertColumns() {
	return [
		{ label: t('col.time'), class: 'nowrap', cell: (a) => timeEl(a.time) },
		{ label: t('col.level'), cell: (a) => levelBadge(a.level) },
		{ label: t('col.rule'), class: 'num', cell: (a) => String(a.rule_id ?? '') },
		{ label: t('col.description'), class: 'wide', cell: (a) => h('span',
		    clip(a.description, 200), Array.isArray(a.groups) && a.groups.length ?
			h('span.tags', a.groups.map((g) => h('span.tag', String(g)))) : null) },
		{ label: t('col.host'), cell: (a) => String(a.host ?? '') },
		{ label: t('col.srcip'), class: 'mono', cell: (a) => String(a.srcip ?? '') },
		{ label: t('col.user'), cell: (a) => clip(a.user, 40) },
	];
}

export function render(ctx) {
	const f = Object.fromEntries(FILTERS.map((k) => [k, ctx.params.get(k) || '']));
	const results = h('div.results', loading());
	let rowsBody = null;	// the alerts table's tbody, for live rows
	let next = null;
	let shown = [];
	let destroyed = false;
	let reloadTimer = null;

	// The form.
	const inputs = {
		since: select('since', sinceOptions(), f.since),
		level: select('level', levelOptions(), f.level),
		rule: h('input', { name: 'rule', type: 'text', inputmode: 'numeric',
		    pattern: '[0-9]*', value: f.rule, size: 8 }),
		srcip: h('input', { name: 'srcip', type: 'text', value: f.srcip,
		    spellcheck: 'false', autocapitalize: 'none' }),
		host: h('input', { name: 'host', type: 'text', value: f.host,
		    spellcheck: 'false', autocapitalize: 'none' }),
		q: h('input', { name: 'q', type: 'search', value: f.q,
		    placeholder: t('alerts.q.placeholder') }),
		group: select('group', [['', t('alerts.group.none')],
		    ['rule', t('alerts.group.rule')], ['srcip', t('alerts.group.srcip')]],
		f.group),
	};
	const form = h('form.filters', { role: 'search', 'aria-label': t('alerts.filters'),
	    on: { submit: (e) => {
		e.preventDefault();
		ctx.navigate('alerts', Object.fromEntries(FILTERS.map((k) =>
		    [k, inputs[k].value.trim()])));
	} } },
	field(t('f.q'), inputs.q),
	field(t('f.since'), inputs.since),
	field(t('f.level'), inputs.level),
	field(t('f.rule'), inputs.rule),
	field(t('f.srcip'), inputs.srcip),
	field(t('f.host'), inputs.host),
	field(t('f.group'), inputs.group),
	h('div.form-actions', h('button.primary', { type: 'submit' }, t('common.apply')),
	    button(t('common.clear'), { on: { click: () => ctx.navigate('alerts', {}) } })));

	function params(before) {
		return {
			since: f.since, level: f.level, rule: f.rule, srcip: f.srcip,
			host: f.host, q: f.q, group: f.group || undefined,
			limit: 100, before,
		};
	}

	function groupTable(groups) {
		const key = f.group;
		return dataTable([
			{ label: key === 'rule' ? t('col.rule') : t('col.srcip'), class: 'mono',
			    cell: (g) => String(g.key ?? '') },
			{ label: t('col.description'), class: 'wide', cell: (g) => clip(g.description, 200) },
			{ label: t('col.count'), class: 'num', cell: (g) => fmtNumber(Number(g.count)) },
			{ label: t('col.maxlevel'), cell: (g) => levelBadge(g.max_level) },
			{ label: t('col.last'), class: 'nowrap', cell: (g) => timeEl(g.last, true) },
			{ label: t('col.actions'), cell: (g) => button(t('alerts.group.show'), {
			    on: { click: () => ctx.navigate('alerts', Object.assign({},
				f, { group: '', [key === 'rule' ? 'rule' : 'srcip']: String(g.key ?? '') })) },
			}) },
		], groups, { empty: t('alerts.none'), caption: t('nav.alerts') });
	}

	async function load() {
		try {
			const r = await api.get('/alerts', params());
			if (destroyed)
				return;
			if (f.group) {
				fill(results, h('p.count-line', t('alerts.groups.count',
				    { n: (r.groups || []).length })), groupTable(r.groups || []));
				return;
			}
			shown = Array.isArray(r.alerts) ? r.alerts : [];
			next = r.next ?? null;
			const table = dataTable(alertColumns(), shown, {
			    empty: t('alerts.none'), caption: t('nav.alerts'),
			    rowAttrs: (a) => ({ 'data-id': a.id }) });
			rowsBody = table.querySelector('tbody');
			const more = button(t('common.older'), { on: { click: () =>
			    busy(more, null, older) } });
			more.hidden = next === null;
			fill(results, h('p.count-line', { 'aria-live': 'polite' },
			    t('alerts.count', { n: shown.length })), table,
			h('div.more', more));
			results.more = more;
		} catch (e) {
			if (!destroyed && e.status !== 401)
				fill(results, errorBox(e));
		}
	}

	async function older() {
		const r = await api.get('/alerts', params(next));
		const add = Array.isArray(r.alerts) ? r.alerts : [];
		next = r.next ?? null;
		const cols = alertColumns();
		const tmp = dataTable(cols, add).querySelector('tbody');
		if (add.length)
			rowsBody.querySelector('tr.empty')?.remove();
		for (const tr of [...tmp.children]) {
			if (!tr.classList.contains('empty'))
				rowsBody.appendChild(tr);
		}
		shown = shown.concat(add);
		results.querySelector('.count-line').textContent =
		    t('alerts.count', { n: shown.length });
		results.more.hidden = next === null;
	}

	load();
	return {
		title: t('nav.alerts'),
		node: h('div.page', pageHeader(t('nav.alerts')), form, results),
		onLive(type, a) {
			if (type !== 'alert')
				return;
			if (f.group) {
				clearTimeout(reloadTimer);
				reloadTimer = setTimeout(load, 2000);
				return;
			}
			if (!rowsBody || !matches(a, f))
				return;
			if (shown.some((x) => x.id === a.id))
				return;
			shown.unshift(a);
			const tr = dataTable(alertColumns(), [a], { rowAttrs: (x) =>
			    ({ 'data-id': x.id }) }).querySelector('tbody tr');
			tr.classList.add('fresh');
			rowsBody.querySelector('tr.empty')?.remove();
			rowsBody.prepend(tr);
			results.querySelector('.count-line').textContent =
			    t('alerts.count', { n: shown.length });
		},
		destroy() {
			destroyed = true;
			clearTimeout(reloadTimer);
		},
	};
}

