// page-overview.js - #/overview: what is happening now.  Events per
// second over the last hour, alerts by level over the last day, open
// incidents by category and impact, hosts that went silent or whose
// clocks are off, and the health of listeners and queues (GET
// /api/v1/overview).  Refreshed on the server's "stats" events and when
// an incident changes.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { api } from './api.js';
import { t, fmtNumber, fmtOffset } from './i18n.js';
import { areaChart, levelBars, shareBar } from './charts.js';
import { icon } from './icons.js';
import {
	card, dataTable, errorBox, loading, pageHeader, timeEl, impactBadge,
	categoryName, LEVEL_CLASSES, button, muted,
} from './ui.js';

const IMPACTS = ['internal', 'external', 'infrastructure'];
// A clock further off than this is shown as a problem.
const OFFSET_WARN_S = 5;

function num(v) {
	const n = Number(v);
	return Number.isFinite(n) ? n : 0;
}

function tile(label, value, note, kind) {
	return h('div', { class: ['tile', kind ? cls('tile-', kind) : null] },
	    h('div.tile-label', label), h('div.tile-value', value),
	    note ? h('div.tile-note', note) : null);
}

function tiles(o) {
	const eps = Array.isArray(o.events_per_second) ? o.events_per_second : [];
	const last = eps.length ? num(eps[eps.length - 1].n) : 0;
	const byLevel = Array.isArray(o.alerts_by_level) ? o.alerts_by_level : [];
	const alerts = byLevel.reduce((a, b) =>
	    a + LEVEL_CLASSES.reduce((x, k) => x + num(b && b[k]), 0), 0);
	const high = byLevel.reduce((a, b) => a + num(b && b.high) +
	    num(b && b.critical), 0);
	const open = o.incidents_open ? num(o.incidents_open.total) : 0;
	const hosts = o.hosts || {};
	const silent = Array.isArray(hosts.silent) ? hosts.silent.length : 0;
	const lost = (Array.isArray(o.listeners) ? o.listeners : [])
	    .reduce((a, l) => a + num(l && l.dropped) + num(l && l.lost), 0);
	return h('div.tiles',
	    tile(t('ov.eps.now'), fmtNumber(Math.round(last * 10) / 10)),
	    tile(t('ov.alerts24'), fmtNumber(alerts),
		high ? t('ov.alerts24.high', { n: high }) : null, high ? 'warn' : null),
	    tile(t('ov.open'), fmtNumber(open), null, open ? 'warn' : null),
	    tile(t('ov.silent'), fmtNumber(silent), null, silent ? 'warn' : null),
	    tile(t('ov.dropped'), fmtNumber(lost), null, lost ? 'bad' : null));
}

function legend() {
	return h('ul.legend', LEVEL_CLASSES.map((k) => h('li',
	    h('span', { class: ['swatch', `sev-${k}`], 'aria-hidden': 'true' }),
	    t(`sev.${k}`), ' ', muted(t(`levels.${k}`)))));
}

function incidentsCard(o, ctx) {
	const io = o.incidents_open || {};
	const byCat = Object.entries(io.by_category || {})
	    .map(([k, v]) => [k, num(v)]).sort((a, b) => b[1] - a[1]);
	const max = byCat.length ? byCat[0][1] : 0;
	const cats = byCat.length === 0 ? h('p.muted', t('ov.noincidents')) :
	    h('ul.bars', byCat.map(([cat, n]) => h('li',
		h('button.linklike', { type: 'button', on: { click: () =>
		    ctx.navigate('incidents', { category: cat }) } },
		categoryName(cat)),
		shareBar(n, max, 'cat'), h('span.count', fmtNumber(n)))));
	const imp = io.by_impact || {};
	const impacts = h('ul.impacts', IMPACTS.map((k) => h('li',
	    impactBadge(k), h('span.count', fmtNumber(num(imp[k]))))));
	return card(t('ov.incidents'),
	    h('p.big-line', h('a', { href: '#/incidents' },
		t('ov.incidents.total', { n: num(io.total) }))),
	    h('h3', t('ov.bycategory')), cats,
	    h('h3', t('ov.byimpact')), impacts);
}

function hostsCard(o) {
	const hs = o.hosts || {};
	const silent = Array.isArray(hs.silent) ? hs.silent : [];
	const offs = (Array.isArray(hs.clock_offset) ? hs.clock_offset : [])
	    .slice().sort((a, b) => Math.abs(num(b.offset_s)) - Math.abs(num(a.offset_s)));
	return card(t('ov.hosts'),
	    h('h3', t('ov.silent.title')),
	    silent.length === 0 ? h('p.muted', t('ov.silent.none')) :
		h('ul.plain', silent.map((x) => h('li.warn-line', icon('clock'),
		    h('strong', String(x.name ?? '')), ' ',
		    h('span.muted', t('ov.lastseen')), ' ', timeEl(x.last_seen, true)))),
	    h('h3', t('ov.offset.title')),
	    offs.length === 0 ? h('p.muted', t('ov.offset.none')) :
		h('ul.plain', offs.map((x) => h('li', {
		    class: Math.abs(num(x.offset_s)) > OFFSET_WARN_S ? 'warn-line' : null },
		h('strong', String(x.name ?? '')), ' ',
		h('span.mono', fmtOffset(num(x.offset_s)))))),
	    h('p', h('a', { href: '#/hosts' }, t('ov.allhosts'))));
}

function listenersCard(o) {
	const ls = Array.isArray(o.listeners) ? o.listeners : [];
	const qs = Array.isArray(o.queues) ? o.queues : [];
	const lt = dataTable([
		{ label: t('ov.l.url'), class: 'nowrap', cell: (l) => h('span.mono', String(l.url ?? '')) },
		{ label: t('ov.l.received'), class: 'num', cell: (l) => fmtNumber(num(l.received)) },
		{ label: t('ov.l.stored'), class: 'num', cell: (l) => fmtNumber(num(l.stored)) },
		{ label: t('ov.l.dropped'), class: 'num', cell: (l) => h('span', {
		    class: num(l.dropped) ? 'bad' : null }, fmtNumber(num(l.dropped))) },
		{ label: t('ov.l.lost'), class: 'num', cell: (l) => h('span', {
		    class: num(l.lost) ? 'bad' : null }, fmtNumber(num(l.lost))) },
		{ label: t('ov.l.active'), class: 'num', cell: (l) => fmtNumber(num(l.active)) },
	], ls, { empty: t('ov.l.none'), caption: t('ov.listeners') });
	const qt = dataTable([
		{ label: t('ov.q.name'), cell: (q) => String(q.name ?? '') },
		{ label: t('ov.q.fill'), cell: (q) => {
			const d = num(q.depth);
			const c = num(q.capacity);
			const full = c > 0 && d / c >= 0.8;
			return h('span.qfill', shareBar(d, c, full ? 'bad' : 'ok'),
			    h('span', { class: full ? 'bad' : null },
				`${fmtNumber(d)} / ${fmtNumber(c)}`));
		} },
	], qs, { empty: t('ov.q.none'), caption: t('ov.queues') });
	return card(t('ov.health'), h('h3', t('ov.listeners')), lt,
	    h('h3', t('ov.queues')), qt);
}

// The sensor's counters: shown as they come, one table per sensor.
function sensorCard(o) {
	const ss = Array.isArray(o.sensor) ? o.sensor : [];
	if (ss.length === 0)
		return null;
	return card(t('ov.sensor'), ss.map((x) => {
		if (!x || typeof x !== 'object')
			return h('p', String(x));
		const rows = Object.entries(x).filter(([, v]) =>
		    v === null || typeof v !== 'object');
		return dataTable([
			{ label: t('ov.s.key'), cell: (r) => r[0] },
			{ label: t('ov.s.value'), class: 'num', cell: (r) =>
			    typeof r[1] === 'number' ? fmtNumber(r[1]) : String(r[1] ?? '—') },
		], rows);
	}));
}

export function render(ctx) {
	const body = h('div.overview', loading());
	let timer = null;
	let inflight = false;
	let destroyed = false;

	// Each part is redrawn only when its data changed, so that a
	// refresh every few seconds does not take the focus or a tooltip
	// away from what did not change.
	const parts = new Map();
	function part(key, data, make) {
		const json = JSON.stringify(data ?? null);
		const old = parts.get(key);
		if (old && old.json === json)
			return old.node;
		const node = make() || h('div.hidden-part');
		if (old)
			old.node.replaceWith(node);
		parts.set(key, { json, node });
		return node;
	}

	async function load() {
		if (inflight || destroyed)
			return;
		inflight = true;
		try {
			const o = await api.get('/overview');
			if (destroyed)
				return;
			const first = parts.size === 0;
			const nodes = [
				part('tiles', [o.events_per_second, o.alerts_by_level,
				    o.incidents_open, o.hosts, o.listeners], () => tiles(o)),
				part('eps', o.events_per_second, () => card(t('ov.eps'),
				    areaChart(o.events_per_second, t('ov.eps')))),
				part('levels', o.alerts_by_level, () => card(t('ov.levels'),
				    levelBars(o.alerts_by_level, t('ov.levels')), legend())),
				part('incidents', o.incidents_open, () => incidentsCard(o, ctx)),
				part('hosts', o.hosts, () => hostsCard(o)),
				part('health', [o.listeners, o.queues], () => listenersCard(o)),
				part('sensor', o.sensor, () => sensorCard(o)),
			];
			if (first) {
				fill(body, nodes[0], h('div.grid2', nodes[1], nodes[2]),
				    h('div.grid3', nodes[3], nodes[4], nodes[5]), nodes[6]);
			}
		} catch (e) {
			if (!destroyed && e.status !== 401) {
				parts.clear();
				fill(body, errorBox(e));
			}
		} finally {
			inflight = false;
		}
	}

	function soon() {
		clearTimeout(timer);
		timer = setTimeout(load, 1000);
	}

	load();
	const refresh = button(t('common.refresh'), { on: { click: load } }, 'refresh');
	return {
		title: t('nav.overview'),
		node: h('div.page', pageHeader(t('nav.overview'), refresh), body),
		onLive(type) {
			if (type === 'stats')
				load();
			else if (type === 'incident')
				soon();
		},
		destroy() {
			destroyed = true;
			clearTimeout(timer);
		},
	};
}
