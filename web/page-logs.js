// page-logs.js - #/logs: search the raw log store with the filters of
// `mamori logs search` (since, until, host, program, severity, a text or
// a regular expression), newest first, a page at a time (GET
// /api/v1/logs).  Each record opens to show everything stored about it.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { api } from './api.js';
import { t, tOr } from './i18n.js';
import {
	dataTable, errorBox, field, kv, loading, pageHeader, select, timeEl,
	button, busy,
} from './ui.js';

const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice',
	'info', 'debug'];
const FILTERS = ['q', 'regex', 'since', 'until', 'host', 'app', 'severity',
	'limit'];

function details(r) {
	const sd = r.sd && typeof r.sd === 'object' ? JSON.stringify(r.sd, null, 1) :
	    r.structured_data;
	return h('details.rec',
	    h('summary', t('logs.details')),
	    kv([
		[t('logs.f.seq'), r.seq !== undefined ? String(r.seq) : null],
		[t('logs.f.received'), r.received ? timeEl(r.received) : null],
		[t('logs.f.timestamp'), r.timestamp ? timeEl(r.timestamp) : null],
		[t('logs.f.source'), r.source ? h('span.mono', String(r.source)) : null],
		[t('logs.f.facility'), r.facility ? String(r.facility) : null],
		[t('logs.f.msgid'), r.msgid ? String(r.msgid) : null],
		[t('logs.f.format'), r.format ? String(r.format) : null],
		[t('logs.f.flags'), Array.isArray(r.flags) && r.flags.length ?
		    r.flags.map(String).join(', ') : null],
		[t('logs.f.sd'), sd ? h('pre.mono', String(sd)) : null],
		[t('logs.f.raw'), r.raw ? h('pre.mono.raw', String(r.raw)) : null],
	    ]));
}

function columns() {
	return [
		{ label: t('col.time'), class: 'nowrap', cell: (r) =>
		    timeEl(r.timestamp || r.received) },
		{ label: t('col.host'), cell: (r) => String(r.host ?? r.source ?? '') },
		{ label: t('col.app'), cell: (r) => `${r.app ?? ''}${r.procid ?
		    `[${r.procid}]` : ''}` },
		{ label: t('col.severity'), cell: (r) => r.severity ?
		    h('span', { class: ['sysl', cls('sysl-', r.severity)] },
			tOr(`syslog.${r.severity}`, r.severity)) : '' },
		{ label: t('col.message'), class: 'wide', cell: (r) => [
			h('div.logline.mono', String(r.message ?? r.raw ?? '')), details(r)] },
	];
}

export function render(ctx) {
	const f = Object.fromEntries(FILTERS.map((k) => [k, ctx.params.get(k) || '']));
	const results = h('div.results');
	let next = null;
	let count = 0;
	let tbody = null;
	let destroyed = false;

	const inputs = {
		q: h('input', { name: 'q', type: 'search', value: f.q,
		    placeholder: t('logs.q.placeholder'), spellcheck: 'false' }),
		regex: h('input', { name: 'regex', type: 'checkbox', checked: f.regex === '1' }),
		since: h('input', { name: 'since', type: 'text', value: f.since || '-1h',
		    placeholder: '-1h', spellcheck: 'false', autocapitalize: 'none' }),
		until: h('input', { name: 'until', type: 'text', value: f.until,
		    placeholder: t('logs.until.placeholder'), spellcheck: 'false',
		    autocapitalize: 'none' }),
		host: h('input', { name: 'host', type: 'text', value: f.host,
		    spellcheck: 'false', autocapitalize: 'none' }),
		app: h('input', { name: 'app', type: 'text', value: f.app,
		    spellcheck: 'false', autocapitalize: 'none' }),
		severity: select('severity', [['', t('logs.sev.any')],
		    ...SEVERITIES.map((s) => [s, t('logs.sev.atleast', {
			name: t(`syslog.${s}`) })])], f.severity),
		limit: select('limit', [['50', '50'], ['100', '100'], ['500', '500']],
		    f.limit || '100'),
	};
	// A search starts with the last hour unless since was given.
	if (!ctx.params.has('since'))
		f.since = '-1h';
	const form = h('form.filters', { role: 'search', 'aria-label': t('logs.filters'),
	    on: { submit: (e) => {
		e.preventDefault();
		const p = {};
		for (const k of FILTERS) {
			p[k] = k === 'regex' ? (inputs.regex.checked ? '1' : '') :
			    inputs[k].value.trim();
		}
		// An empty "since" is asked for on purpose: all of the store.
		if (p.since === '')
			p.since = 'all';
		ctx.navigate('logs', p);
	} } },
	field(t('f.q'), inputs.q),
	h('div.field.check', h('label', inputs.regex, ' ', t('logs.regex'))),
	field(t('f.since'), inputs.since, t('logs.time.hint')),
	field(t('f.until'), inputs.until),
	field(t('f.host'), inputs.host),
	field(t('f.app'), inputs.app),
	field(t('f.severity'), inputs.severity),
	field(t('f.limit'), inputs.limit),
	h('div.form-actions', h('button.primary', { type: 'submit' }, t('logs.search')),
	    button(t('common.clear'), { on: { click: () => ctx.navigate('logs', {}) } })));
	if (f.since === 'all')
		inputs.since.value = '';

	function params(cursor) {
		return {
			q: f.q, regex: f.regex === '1' ? '1' : undefined,
			since: f.since === 'all' ? undefined : f.since, until: f.until,
			host: f.host, app: f.app, severity: f.severity,
			limit: f.limit || 100, cursor,
		};
	}

	const more = button(t('common.older'), { on: { click: () => busy(more, null, older) } });

	function countLine() {
		return t('logs.count', { n: count });
	}

	async function load() {
		fill(results, loading());
		try {
			const r = await api.get('/logs', params());
			if (destroyed)
				return;
			const recs = Array.isArray(r.records) ? r.records : [];
			next = r.next ?? null;
			count = recs.length;
			const table = dataTable(columns(), recs, { empty: t('logs.none'),
			    caption: t('nav.logs') });
			tbody = table.querySelector('tbody');
			more.hidden = next === null;
			fill(results, h('p.count-line', { 'aria-live': 'polite' }, countLine()),
			    table, h('div.more', more));
		} catch (e) {
			if (!destroyed && e.status !== 401)
				fill(results, errorBox(e));
		}
	}

	async function older() {
		const r = await api.get('/logs', params(next));
		const recs = Array.isArray(r.records) ? r.records : [];
		next = r.next ?? null;
		count += recs.length;
		const rows = dataTable(columns(), recs).querySelector('tbody');
		for (const tr of [...rows.children]) {
			if (!tr.classList.contains('empty'))
				tbody.appendChild(tr);
		}
		results.querySelector('.count-line').textContent = countLine();
		more.hidden = next === null;
	}

	load();
	return {
		title: t('nav.logs'),
		node: h('div.page', pageHeader(t('nav.logs')), form, results),
		destroy() {
			destroyed = true;
		},
	};
}
