// page-hosts.js - #/hosts: the hosts that send logs (when first and
// last seen, how many messages, how far their clocks are off), the
// agents, and what the agents' integrity and audit checks found (GET
// /api/v1/hosts).
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { api } from './api.js';
import { t, tOr, fmtNumber, fmtOffset } from './i18n.js';
import {
	card, dataTable, errorBox, field, loading, pageHeader, timeEl, button,
	clip,
} from './ui.js';

// Clock offsets beyond this many seconds are marked.
const OFFSET_WARN_S = 5;

function hostRows(hosts, q) {
	if (!q)
		return hosts;
	const s = q.toLowerCase();
	return hosts.filter((x) => [x.name, x.address].some((v) =>
	    String(v ?? '').toLowerCase().includes(s)));
}

export function render(ctx) {
	const body = h('div', loading());
	const q = ctx.params.get('q') || '';
	let data = null;
	let destroyed = false;

	const search = h('input', { name: 'q', type: 'search', value: q,
	    placeholder: t('hosts.q.placeholder') });
	const hostsBox = h('div');
	search.addEventListener('input', () => drawHosts());

	function drawHosts() {
		if (!data)
			return;
		const hosts = Array.isArray(data.hosts) ? data.hosts : [];
		const rows = hostRows(hosts, search.value.trim());
		fill(hostsBox, dataTable([
			{ label: t('col.host'), cell: (x) => h('strong', String(x.name ?? '')) },
			{ label: t('col.address'), class: 'mono', cell: (x) => String(x.address ?? '') },
			{ label: t('hosts.first'), class: 'nowrap', cell: (x) => timeEl(x.first_seen) },
			{ label: t('hosts.last'), class: 'nowrap', cell: (x) => timeEl(x.last_seen, true) },
			{ label: t('hosts.messages'), class: 'num', cell: (x) =>
			    fmtNumber(Number(x.messages)) },
			{ label: t('hosts.offset'), class: 'num', cell: (x) => {
				const o = Number(x.clock_offset_s);
				if (x.clock_offset_s === null || x.clock_offset_s === undefined ||
				    !Number.isFinite(o))
					return '—';
				return h('span', { class: Math.abs(o) > OFFSET_WARN_S ? 'bad' : null },
				    fmtOffset(o));
			} },
		], rows, { empty: t('hosts.none'), caption: t('hosts.hosts') }));
	}

	async function load() {
		try {
			data = await api.get('/hosts');
			if (destroyed)
				return;
			const agents = Array.isArray(data.agents) ? data.agents : [];
			const findings = Array.isArray(data.findings) ? data.findings : [];
			drawHosts();
			fill(body,
			    card(t('hosts.hosts'), h('div.filters.inline', field(t('f.q'), search)),
				hostsBox),
			    card(t('hosts.agents'), dataTable([
				{ label: t('col.name'), cell: (a) => h('strong', String(a.name ?? '')) },
				{ label: t('col.address'), class: 'mono', cell: (a) => String(a.address ?? '') },
				{ label: t('hosts.version'), cell: (a) => String(a.version ?? '') },
				{ label: t('hosts.last'), class: 'nowrap', cell: (a) => timeEl(a.last_seen, true) },
				{ label: t('hosts.state'), cell: (a) => h('span', {
				    class: ['badge', cls('agent-', a.state)] },
				tOr(`agent.${a.state}`, a.state)) },
			    ], agents, { empty: t('hosts.noagents'), caption: t('hosts.agents') })),
			    card(t('hosts.findings'), dataTable([
				{ label: t('col.time'), class: 'nowrap', cell: (x) => timeEl(x.time) },
				{ label: t('col.host'), cell: (x) => String(x.host ?? '') },
				{ label: t('hosts.module'), cell: (x) => tOr(`module.${x.module}`, x.module) },
				{ label: t('col.severity'), cell: (x) => h('span', {
				    class: ['badge', cls('sev-', x.severity)] },
				tOr(`sev.${x.severity}`, x.severity)) },
				{ label: t('col.finding'), class: 'wide', cell: (x) => clip(x.text, 400) },
			    ], findings, { empty: t('hosts.nofindings'),
				caption: t('hosts.findings') })));
		} catch (e) {
			if (!destroyed && e.status !== 401)
				fill(body, errorBox(e));
		}
	}

	load();
	const refresh = button(t('common.refresh'), { on: { click: load } }, 'refresh');
	return {
		title: t('nav.hosts'),
		node: h('div.page', pageHeader(t('nav.hosts'), refresh), body),
		destroy() {
			destroyed = true;
		},
	};
}
