// page-incidents.js - #/incidents: the board.  One column per status
// along the response (new, triage, containment, eradication, recovery;
// closed and false positives on request), a card per incident, most
// severe first (GET /api/v1/incidents).  Incidents that open or change
// move on the board live.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { api } from './api.js';
import { t, fmtNumber, toDate } from './i18n.js';
import {
	errorBox, field, loading, pageHeader, select, sevBadge, impactBadge,
	categoryName, timeEl, button, muted,
} from './ui.js';

export const STATUSES = ['new', 'triage', 'containment', 'eradication',
	'recovery', 'closed', 'false-positive'];
const OPEN = STATUSES.slice(0, 5);
export const CATEGORIES = ['infection', 'backdoor', 'dos', 'scan', 'attack',
	'intrusion', 'tampering', 'leak', 'passive_attack', 'piracy', 'spam',
	'spoofing', 'defamation', 'physical', 'other'];
export const IMPACTS = ['internal', 'external', 'infrastructure'];
const SEV_RANK = { critical: 4, high: 3, medium: 2, low: 1 };

// The link to an incident: its id must be an integer.
export function incidentHref(id) {
	return Number.isSafeInteger(id) && id > 0 ? `#/incidents/${id}` : null;
}

function firstAttacker(inc) {
	const a = Array.isArray(inc.attackers) ? inc.attackers : [];
	if (a.length === 0)
		return null;
	const more = a.length > 1 ? ` +${a.length - 1}` : '';
	return `${String(a[0].value ?? '')}${more}`;
}

function incCard(inc) {
	const href = incidentHref(inc.id);
	const attacker = firstAttacker(inc);
	return h('li', { class: ['inc-card', cls('sev-edge-', inc.severity)],
	    'data-id': inc.id },
	h('a.inc-link', { href: href || undefined },
	    h('span.inc-id', `#${inc.id}`), ' ',
	    h('span.inc-title', String(inc.title ?? ''))),
	h('div.badges', sevBadge(inc.severity), impactBadge(inc.impact),
	    h('span.badge.cat', categoryName(inc.category))),
	h('dl.inc-meta',
	    attacker ? [h('dt', t('inc.attacker')), h('dd.mono', attacker)] : null,
	    h('dt', t('inc.assignee')),
	    h('dd', inc.assignee ? String(inc.assignee) : muted(t('inc.unassigned'))),
	    h('dt', t('inc.alerts')), h('dd', fmtNumber(Number(inc.alert_count) || 0)),
	    h('dt', t('inc.lastseen')), h('dd', timeEl(inc.last_seen || inc.updated, true))));
}

function order(a, b) {
	const s = (SEV_RANK[b.severity] || 0) - (SEV_RANK[a.severity] || 0);
	if (s !== 0)
		return s;
	const ta = toDate(a.last_seen || a.updated);
	const tb = toDate(b.last_seen || b.updated);
	return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0);
}

export function render(ctx) {
	const f = {
		q: ctx.params.get('q') || '',
		category: ctx.params.get('category') || '',
		impact: ctx.params.get('impact') || '',
		closed: ctx.params.get('closed') === '1',
	};
	const board = h('div.board-wrap', loading());
	const byId = new Map();
	let destroyed = false;

	const inputs = {
		q: h('input', { name: 'q', type: 'search', value: f.q,
		    placeholder: t('inc.q.placeholder') }),
		category: select('category', [['', t('common.all')],
		    ...CATEGORIES.map((c) => [c, categoryName(c)])], f.category),
		impact: select('impact', [['', t('common.all')],
		    ...IMPACTS.map((i) => [i, t(`impact.${i}`)])], f.impact),
		closed: h('input', { name: 'closed', type: 'checkbox', checked: f.closed }),
	};
	const form = h('form.filters', { role: 'search', 'aria-label': t('inc.filters'),
	    on: { submit: (e) => {
		e.preventDefault();
		ctx.navigate('incidents', { q: inputs.q.value.trim(),
		    category: inputs.category.value, impact: inputs.impact.value,
		    closed: inputs.closed.checked ? '1' : '' });
	} } },
	field(t('f.q'), inputs.q),
	field(t('f.category'), inputs.category),
	field(t('f.impact'), inputs.impact),
	h('div.field.check', h('label', inputs.closed, ' ', t('inc.showclosed'))),
	h('div.form-actions', h('button.primary', { type: 'submit' }, t('common.apply'))));
	inputs.closed.addEventListener('change', () => form.requestSubmit());

	const columns = f.closed ? STATUSES : OPEN;
	const lists = new Map();

	function wanted(inc) {
		if (!columns.includes(inc.status))
			return false;
		if (inc.merged_into)
			return false;
		if (f.category && inc.category !== f.category)
			return false;
		if (f.impact && inc.impact !== f.impact)
			return false;
		if (f.q) {
			const q = f.q.toLowerCase();
			const hay = [inc.title, inc.category, inc.assignee, `#${inc.id}`,
			    ...(inc.attackers || []).map((p) => p.value),
			    ...(inc.victims || []).map((p) => p.value)];
			if (!hay.some((x) => String(x ?? '').toLowerCase().includes(q)))
				return false;
		}
		return true;
	}

	function drawColumn(status) {
		const col = lists.get(status);
		const items = [...byId.values()].filter((i) => i.status === status)
		    .sort(order);
		fill(col.list, items.map(incCard));
		col.count.textContent = fmtNumber(items.length);
		col.empty.hidden = items.length > 0;
	}

	function drawBoard() {
		const cols = columns.map((st) => {
			const id = `col-${st}`;
			const list = h('ul.inc-list', { 'aria-labelledby': id });
			const count = h('span.col-count');
			const empty = h('p.col-empty.muted', t('inc.col.empty'));
			lists.set(st, { list, count, empty });
			return h('section', { class: ['board-col', cls('col-', st)] },
			    h('h2.col-head', { id }, h('span', t(`status.${st}`)), ' ', count),
			    list, empty);
		});
		fill(board, h('div.board', cols));
		for (const st of columns)
			drawColumn(st);
	}

	async function load() {
		try {
			const r = await api.get('/incidents', {
				status: f.closed ? 'all' : 'open',
				category: f.category, impact: f.impact, q: f.q,
				limit: 500,
			});
			if (destroyed)
				return;
			byId.clear();
			for (const inc of Array.isArray(r.incidents) ? r.incidents : []) {
				if (inc && Number.isSafeInteger(inc.id) && wanted(inc))
					byId.set(inc.id, inc);
			}
			drawBoard();
		} catch (e) {
			if (!destroyed && e.status !== 401)
				fill(board, errorBox(e));
		}
	}

	load();
	const refresh = button(t('common.refresh'), { on: { click: load } }, 'refresh');
	return {
		title: t('nav.incidents'),
		node: h('div.page.page-wide', pageHeader(t('nav.incidents'), refresh), form, board),
		onLive(type, inc) {
			if (type !== 'incident' || !Number.isSafeInteger(inc.id) ||
			    lists.size === 0)
				return;
			const old = byId.get(inc.id);
			byId.delete(inc.id);
			if (wanted(inc))
				byId.set(inc.id, inc);
			if (old && lists.has(old.status))
				drawColumn(old.status);
			if (lists.has(inc.status)) {
				drawColumn(inc.status);
				const card = lists.get(inc.status).list
				    .querySelector(`li[data-id="${inc.id}"]`);
				if (card)
					card.classList.add('fresh');
			}
		},
		destroy() {
			destroyed = true;
		},
	};
}

