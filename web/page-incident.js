// page-incident.js - #/incidents/ID: one incident and everything done
// about it.  Summary and parties, the playbook's checklist (a tick is
// POST steps/N), notes, the timeline, the alerts and the log lines they
// came from; and for responders: status, assignment, notification,
// blocking and unblocking addresses, and the exports (IODEF, Markdown,
// JSON).  Every change returns the whole incident, which is drawn again;
// a change made by someone else arrives as a live "incident" event.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { api, exportHref, seg } from './api.js';
import { t, tOr, fmtNumber, fmtRelative } from './i18n.js';
import { icon } from './icons.js';
import {
	card, dataTable, errorBox, field, kv, levelBadge, loading, select,
	statusBadge, sevBadge, impactBadge, categoryName, timeEl, button, busy,
	confirmDialog, toast, clip, muted, message, errorText,
} from './ui.js';
import { STATUSES, incidentHref } from './page-incidents.js';

const DURATIONS = ['1h', '24h', '7d', '30d'];

function parties(list, label) {
	const ps = Array.isArray(list) ? list : [];
	return h('div.parties', h('h3', label), ps.length === 0 ?
	    h('p.muted', t('common.none')) : h('ul.plain', ps.map((p) => h('li',
		h('span.badge.kind', tOr(`party.${p.kind}`, p.kind)), ' ',
		h('span.mono', String(p.value ?? '')),
		p.internal ? [' ', h('span.badge.internal', t('party.internal'))] : null))));
}

function summaryCard(inc) {
	const rsit = inc.rsit && (inc.rsit.class || inc.rsit.type) ?
	    `${inc.rsit.class ?? ''} / ${inc.rsit.type ?? ''}` : null;
	const merged = incidentHref(inc.merged_into);
	return card(t('incp.summary'),
	    inc.summary ? h('p.summary-text', String(inc.summary)) : null,
	    kv([
		[t('incp.status'), statusBadge(inc.status)],
		[t('incp.severity'), sevBadge(inc.severity)],
		[t('incp.impact'), impactBadge(inc.impact)],
		[t('incp.category'), categoryName(inc.category)],
		[t('incp.rsit'), rsit],
		[t('incp.assignee'), inc.assignee ? String(inc.assignee) :
		    muted(t('inc.unassigned'))],
		[t('incp.source'), tOr(`source.${inc.source}`, inc.source)],
		[t('incp.reporter'), inc.reporter ? String(inc.reporter) : null],
		[t('incp.playbook'), inc.playbook ? String(inc.playbook) : null],
		[t('incp.merged'), merged ? h('a', { href: merged }, `#${inc.merged_into}`) :
		    null],
		[t('incp.alerts'), fmtNumber(Number(inc.alert_count) || 0)],
		[t('incp.first'), timeEl(inc.first_seen)],
		[t('incp.last'), timeEl(inc.last_seen)],
		[t('incp.created'), timeEl(inc.created)],
		[t('incp.updated'), timeEl(inc.updated)],
	    ]),
	    h('div.parties-wrap', parties(inc.attackers, t('incp.attackers')),
		parties(inc.victims, t('incp.victims'))));
}

function timelineCard(inc) {
	const tl = Array.isArray(inc.timeline) ? inc.timeline : [];
	return card(t('incp.timeline'), tl.length === 0 ? h('p.muted', t('common.none')) :
	    h('ol.timeline', tl.map((e) => h('li', { class: ['tl', cls('tl-', e.kind)] },
		h('div.tl-head', timeEl(e.at), ' ',
		    h('span.badge.tl-kind', tOr(`tl.${e.kind}`, e.kind)), ' ',
		    h('span.tl-who', String(e.who ?? ''))),
		e.text ? h('div.tl-text', String(e.text)) : null))));
}

function evidenceCard(inc) {
	const ev = Array.isArray(inc.evidence) ? inc.evidence : [];
	if (ev.length === 0)
		return null;
	return card(t('incp.evidence'), dataTable([
		{ label: t('col.kind'), cell: (e) => tOr(`ev.${e.kind}`, e.kind) },
		{ label: t('col.value'), class: 'wide mono', cell: (e) => clip(e.value, 300) },
		{ label: t('col.note'), cell: (e) => clip(e.note, 200) },
		{ label: t('col.who'), cell: (e) => String(e.who ?? '') },
		{ label: t('col.time'), class: 'nowrap', cell: (e) => timeEl(e.at) },
	], ev));
}

function alertsCard(inc) {
	const as = Array.isArray(inc.alerts) ? inc.alerts : [];
	const total = Number(inc.alert_count) || as.length;
	return card(t('incp.relalerts'),
	    total > as.length ? h('p.muted', t('incp.alerts.partial',
		{ shown: as.length, n: total })) : null,
	    dataTable([
		{ label: t('col.time'), class: 'nowrap', cell: (a) => timeEl(a.time) },
		{ label: t('col.level'), cell: (a) => levelBadge(a.level) },
		{ label: t('col.rule'), class: 'num', cell: (a) => String(a.rule_id ?? '') },
		{ label: t('col.description'), class: 'wide', cell: (a) => [
			h('div', clip(a.description, 200)),
			a.log ? h('div.logline.mono', String(a.log)) : null] },
		{ label: t('col.host'), cell: (a) => String(a.host ?? '') },
		{ label: t('col.srcip'), class: 'mono', cell: (a) => String(a.srcip ?? '') },
		{ label: t('col.user'), cell: (a) => clip(a.user, 40) },
	    ], as, { empty: t('alerts.none'), caption: t('incp.relalerts') }));
}

export function logColumns() {
	return [
		{ label: t('col.time'), class: 'nowrap', cell: (r) =>
		    timeEl(r.timestamp || r.received) },
		{ label: t('col.host'), cell: (r) => String(r.host ?? r.source ?? '') },
		{ label: t('col.app'), cell: (r) => `${r.app ?? ''}${r.procid ?
		    `[${r.procid}]` : ''}` },
		{ label: t('col.severity'), cell: (r) => r.severity ?
		    h('span', { class: ['sysl', cls('sysl-', r.severity)] },
			tOr(`syslog.${r.severity}`, r.severity)) : '' },
		{ label: t('col.message'), class: 'wide', cell: (r) =>
		    h('div.logline.mono', String(r.message ?? r.raw ?? '')) },
	];
}

export function render(ctx) {
	const id = Number(ctx.args[0]);
	if (!Number.isSafeInteger(id) || id <= 0) {
		return { node: h('div.page', h('h1', { tabindex: '-1' }, t('notfound.title')),
		    errorBox({ status: 404 })) };
	}
	const canAct = ctx.can('respond');
	let inc = null;
	let destroyed = false;
	// What the status and assignment controls were last set to.
	const shown = { status: '', assignee: '' };
	let reloadTimer = null;

	const head = h('div.page-head.inc-head', h('h1', { tabindex: '-1' }, `#${id}`));
	const sec = {
		summary: h('div.sec-summary'), steps: h('div.sec-steps'),
		timeline: h('div.sec-timeline'), evidence: h('div.sec-evidence'),
		alerts: h('div.sec-alerts'), logs: h('div.sec-logs'), blocks: h('div'),
	};
	const body = h('div.inc-body', loading());

	// Applies an action's answer (the whole incident) or reports why not.
	// sync: 'status' or 'assignee', the control whose value was just
	// submitted and so follows the incident again.
	async function act(btn, out, fn, done, sync) {
		const r = await busy(btn, out, fn);
		if (r && typeof r === 'object' && Number.isSafeInteger(r.id)) {
			if (sync === 'status')
				shown.status = statusSel.value;
			else if (sync === 'assignee')
				shown.assignee = assignIn.value;
			draw(r);
			if (done)
				done();
			return true;
		}
		return false;
	}

	// The checklist.
	function stepsCard() {
		const steps = Array.isArray(inc.steps) ? inc.steps : [];
		const done = steps.filter((s) => s.state === 'done').length;
		const list = h('ol.steps', steps.map((s) => {
			const boxId = `step-${Number(s.n)}`;
			const box = h('input', { type: 'checkbox', id: boxId,
			    checked: s.state === 'done', disabled: !canAct });
			const err = h('div.step-err');
			box.addEventListener('change', async () => {
				const want = box.checked;
				const ok = await act(box, err, () => api.post(
				    `/incidents/${id}/steps/${Number(s.n)}`, { done: want }));
				if (!ok)
					box.checked = !want;
			});
			return h('li', { class: ['step', cls('step-', s.state)] },
			    h('div.step-row', box, h('label', { for: boxId },
				h('span.step-title', String(s.title ?? s.id ?? '')))),
			    s.detail ? h('p.step-detail', String(s.detail)) : null,
			    s.state !== 'open' ? h('p.step-meta.muted',
				s.state === 'skipped' ? h('span.badge', t('step.skipped')) : null, ' ',
				s.who ? t('step.by', { who: String(s.who) }) : '', ' ',
				s.at ? timeEl(s.at) : null,
				s.note ? [' — ', String(s.note)] : null) : null,
			    err);
		}));
		return card(t('incp.playbook.title'),
		    steps.length === 0 ? h('p.muted', t('incp.nosteps')) : [
			h('p.progress-line', t('incp.steps.progress', { done, n: steps.length })),
			h('progress', { max: steps.length, value: done,
			    'aria-label': t('incp.steps.progress', { done, n: steps.length }) }),
			list]);
	}

	// The actions: built once, so what is being typed survives a redraw.
	const statusSel = select('status', STATUSES.map((s) => [s, t(`status.${s}`)]), '');
	const statusNote = h('input', { name: 'note', type: 'text',
	    placeholder: t('common.optional') });
	const statusOut = h('div');
	const statusBtn = h('button.primary', { type: 'submit' }, t('incp.status.set'));
	const statusForm = h('form.action', { 'data-action': 'status', on: { submit: (e) => {
		e.preventDefault();
		const body = { status: statusSel.value };
		if (statusNote.value.trim())
			body.note = statusNote.value.trim();
		act(statusBtn, statusOut, () => api.post(`/incidents/${id}/status`, body),
		    () => {
			statusNote.value = '';
			toast(t('incp.status.done', { status: t(`status.${body.status}`) }),
			    'ok');
		}, 'status');
	} } }, h('h3', t('incp.status.title')), field(t('incp.status'), statusSel),
	field(t('incp.note'), statusNote), statusBtn, statusOut);

	const assignIn = h('input', { name: 'user', type: 'text', autocomplete: 'off',
	    autocapitalize: 'none', spellcheck: 'false' });
	const assignOut = h('div');
	const assignBtn = h('button.primary', { type: 'submit' }, t('incp.assign'));
	const assignMe = button(t('incp.assign.me'), { on: { click: () => {
		assignIn.value = ctx.session.user;
		assignForm.requestSubmit();
	} } });
	const assignForm = h('form.action', { 'data-action': 'assign', on: { submit: (e) => {
		e.preventDefault();
		act(assignBtn, assignOut, () => api.post(`/incidents/${id}/assign`,
		    { user: assignIn.value.trim() }), null, 'assignee');
	} } }, h('h3', t('incp.assign.title')), field(t('incp.assignee'), assignIn,
	    t('incp.assign.hint')), h('div.form-actions', assignBtn, assignMe), assignOut);

	const noteIn = h('textarea', { name: 'text', rows: 3 });
	const noteOut = h('div');
	const noteBtn = h('button.primary', { type: 'submit' }, t('incp.note.add'));
	const noteForm = h('form.action', { 'data-action': 'note', on: { submit: (e) => {
		e.preventDefault();
		if (!noteIn.value.trim()) {
			noteIn.focus();
			return;
		}
		act(noteBtn, noteOut, () => api.post(`/incidents/${id}/notes`,
		    { text: noteIn.value }), () => { noteIn.value = ''; });
	} } }, h('h3', t('incp.note.title')), field(t('incp.note.text'), noteIn),
	noteBtn, noteOut);

	const notifyOut = h('div');
	const notifyBtn = button(t('incp.notify'), { on: { click: async () => {
		if (!await confirmDialog(t('incp.notify.title'), t('incp.notify.confirm'),
		    t('incp.notify')))
			return;
		act(notifyBtn, notifyOut, () => api.post(`/incidents/${id}/notify`, {}),
		    () => toast(t('incp.notify.done'), 'ok'));
	} } }, 'notify');

	const blockAddr = h('input', { name: 'address', type: 'text', list: `att-${id}`,
	    spellcheck: 'false', autocapitalize: 'none', inputmode: 'url' });
	const blockList = h('datalist', { id: `att-${id}` });
	const blockDur = select('duration', [['', t('incp.block.default')],
	    ...DURATIONS.map((d) => [d, t(`dur.${d}`)])], '');
	const blockReason = h('input', { name: 'reason', type: 'text',
	    placeholder: t('common.optional') });
	const blockOut = h('div');
	const blockBtn = h('button.danger', { type: 'submit' }, icon('block'),
	    h('span', t('incp.block')));
	const blockForm = h('form.action', { 'data-action': 'block', on: { submit: async (e) => {
		e.preventDefault();
		const addr = blockAddr.value.trim();
		if (!addr) {
			blockAddr.focus();
			return;
		}
		if (!await confirmDialog(t('incp.block.title'),
		    t('incp.block.confirm', { addr }), t('incp.block')))
			return;
		const req = { address: addr };
		if (blockDur.value)
			req.duration = blockDur.value;
		if (blockReason.value.trim())
			req.reason = blockReason.value.trim();
		act(blockBtn, blockOut, () => api.post(`/incidents/${id}/block`, req),
		    () => {
			blockReason.value = '';
			toast(t('incp.block.done', { addr }), 'ok');
			loadBlocks();
		});
	} } }, h('h3', t('incp.block.title')), field(t('incp.block.addr'), blockAddr),
	blockList, field(t('incp.block.dur'), blockDur),
	field(t('incp.block.reason'), blockReason), blockBtn, blockOut, sec.blocks);

	const exportsEl = h('div.action', { 'data-action': 'export' }, h('h3', t('incp.export')),
	    h('ul.exports', [['iodef', 'IODEF (XML)'], ['md', 'Markdown'],
		['json', 'JSON']].map(([fmt, label]) => h('li',
		h('a.button', { href: exportHref(id, fmt), download: '',
		    'data-format': fmt }, icon('download'), h('span', label))))),
	    h('p.hint', t('incp.export.hint')));

	const actions = canAct ? card(t('incp.actions'), statusForm, assignForm,
	    noteForm, h('div.action', { 'data-action': 'notify' }, h('h3', t('incp.notify.title')),
		h('p.hint', t('incp.notify.hint')), notifyBtn, notifyOut),
	    blockForm, exportsEl) : card(t('incp.actions'),
	    message(t('incp.viewer')));

	// Blocks in force for this incident or its attackers.
	async function loadBlocks() {
		if (!canAct || !inc)
			return;
		try {
			const r = await api.get('/blocks');
			const mine = new Set((inc.attackers || []).map((p) => String(p.value)));
			const bs = (Array.isArray(r.blocks) ? r.blocks : []).filter((b) =>
			    b.incident === id || mine.has(String(b.addr)));
			fill(sec.blocks, bs.length === 0 ? null : [h('h4', t('incp.blocks')),
			    h('ul.plain.blocks', bs.map((b) => {
				const out = h('div');
				const un = button(t('incp.unblock'), { class: 'small', on: {
				    click: async () => {
					if (!await confirmDialog(t('incp.unblock'),
					    t('incp.unblock.confirm', { addr: String(b.addr) }),
					    t('incp.unblock')))
						return;
					const ok = await busy(un, out, () =>
					    api.del(`/blocks/${seg(b.addr)}`).then(() => true));
					if (ok) {
						toast(t('incp.unblock.done', { addr: String(b.addr) }), 'ok');
						reload();
					}
				} } }, 'unblock');
				return h('li', h('span.mono', String(b.addr ?? '')), ' ',
				    b.dry_run ? h('span.badge', t('incp.dryrun')) : null, ' ',
				    h('span.muted', b.until ? t('incp.until', { when:
					fmtRelative(b.until) }) : t('incp.forever')), ' ', un, out);
			    }))]);
		} catch (e) {
			fill(sec.blocks, errorBox(e));
		}
	}

	async function loadLogs() {
		try {
			const r = await api.get(`/incidents/${id}/logs`);
			const recs = Array.isArray(r.records) ? r.records : [];
			fill(sec.logs, card(t('incp.logs'), dataTable(logColumns(), recs,
			    { empty: t('logs.none'), caption: t('incp.logs') })));
		} catch (e) {
			if (e.status !== 401)
				fill(sec.logs, card(t('incp.logs'), errorBox(e)));
		}
	}

	function draw(next) {
		const first = inc === null;
		const hadFocus = head.contains(document.activeElement);
		inc = next;
		fill(head, h('a.back', { href: '#/incidents' }, icon('back'),
		    h('span', t('nav.incidents'))),
		h('h1', { tabindex: '-1' }, h('span.inc-id', `#${inc.id}`), ' ',
		    String(inc.title ?? '')),
		h('div.badges', statusBadge(inc.status), sevBadge(inc.severity),
		    impactBadge(inc.impact), h('span.badge.cat', categoryName(inc.category)),
		    inc.assignee ? h('span.badge.who', icon('user'), String(inc.assignee)) :
			null));
		document.title = `#${inc.id} ${String(inc.title ?? '')} — mamori`;
		fill(sec.summary, summaryCard(inc));
		fill(sec.steps, stepsCard());
		fill(sec.timeline, timelineCard(inc));
		fill(sec.evidence, evidenceCard(inc));
		fill(sec.alerts, alertsCard(inc));
		// A redraw (someone else's change, arriving live) must not
		// undo what the user chose and has not submitted yet: a control
		// follows the incident only while it still shows what it was
		// last given.
		if (statusSel.value === shown.status) {
			statusSel.value = inc.status;
			shown.status = statusSel.value;
		}
		if (assignIn.value === shown.assignee) {
			assignIn.value = inc.assignee ?? '';
			shown.assignee = assignIn.value;
		}
		fill(blockList, (inc.attackers || []).filter((p) => p.kind === 'ip')
		    .map((p) => h('option', { value: String(p.value ?? '') })));
		if (first) {
			const ips = (inc.attackers || []).filter((p) => p.kind === 'ip');
			if (ips.length > 0 && !blockAddr.value)
				blockAddr.value = String(ips[0].value ?? '');
			// The response controls follow the checklist in the
			// document (and so in keyboard order); on a wide screen
			// they stand beside everything else (app.css).
			fill(body, sec.summary, sec.steps, h('aside.inc-side', actions),
			    sec.timeline, sec.evidence, sec.alerts, sec.logs);
			// The heading was replaced: move the focus to the new one
			// if it was on the old one.
			const h1 = head.querySelector('h1');
			if (h1 && !destroyed && hadFocus)
				h1.focus({ preventScroll: true });
		}
		loadBlocks();
	}

	async function reload() {
		try {
			const r = await api.get(`/incidents/${id}`);
			if (!destroyed)
				draw(r);
		} catch (e) {
			if (!destroyed && e.status !== 401) {
				if (inc === null)
					fill(body, errorBox(e));
				else
					toast(errorText(e), 'error');
			}
		}
	}

	reload().then(() => {
		if (!destroyed && inc)
			loadLogs();
	});

	return {
		title: `#${id}`,
		node: h('div.page.page-wide', head, body),
		onLive(type, data) {
			if (type === 'incident' && data.id === id) {
				clearTimeout(reloadTimer);
				reloadTimer = setTimeout(() => {
					reload();
					loadLogs();
				}, 300);
			}
		},
		destroy() {
			destroyed = true;
			clearTimeout(reloadTimer);
		},
	};
}
