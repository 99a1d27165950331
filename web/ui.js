// ui.js - pieces the pages share: badges for levels and states, cards,
// tables that turn into stacked cards on a phone, form fields with
// labels, messages, a confirmation dialog and toasts.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill, cls } from './dom.js';
import { icon } from './icons.js';
import { t, tOr, fmtDateTime, fmtRelative, toDate } from './i18n.js';

// Rule levels as the overview counts them: 0-6 low, 7-9 medium, 10-12
// high, 13 and up critical.
export function levelClass(level) {
	const n = Number(level);
	if (!Number.isFinite(n) || n < 7)
		return 'low';
	if (n < 10)
		return 'medium';
	if (n < 13)
		return 'high';
	return 'critical';
}

export const LEVEL_CLASSES = ['low', 'medium', 'high', 'critical'];

export function levelBadge(level) {
	const c = levelClass(level);
	const label = t('level.aria', { level: String(level ?? '?'),
	    name: t(`sev.${c}`) });
	return h('span', { class: ['badge', 'level', cls('sev-', c)],
	    title: label, 'aria-label': label }, String(level ?? '?'));
}

export function sevBadge(sev) {
	return h('span', { class: ['badge', cls('sev-', sev)] },
	    tOr(`sev.${sev}`, sev));
}

export function statusBadge(status) {
	return h('span', { class: ['badge', 'status', cls('st-', status)] },
	    tOr(`status.${status}`, status));
}

export function impactBadge(impact) {
	return h('span', { class: ['badge', 'impact', cls('imp-', impact)] },
	    tOr(`impact.${impact}`, impact));
}

export function categoryName(cat) {
	return tOr(`cat.${cat}`, cat);
}

// A time: the date and time for the locale, the full value on hover,
// and with relative: "5 minutes ago" as the text.
export function timeEl(v, relative) {
	const d = toDate(v);
	if (!d)
		return h('span.muted', '—');
	const full = fmtDateTime(d);
	return h('time', { datetime: d.toISOString(), title: full },
	    relative ? fmtRelative(d) : full);
}

export function card(title, ...children) {
	const id = uid('card');
	return h('section.card', { 'aria-labelledby': id },
	    h('h2.card-title', { id }, title), ...children);
}

let nextId = 0;
export function uid(prefix) {
	nextId += 1;
	return `${prefix}-${nextId}`;
}

// A table.  columns: [{label, cell(row) -> node|string, class}]; on a
// narrow screen each row becomes a card whose cells carry their column
// name (data-label).
export function dataTable(columns, rows, { empty, caption, rowClass,
    rowAttrs } = {}) {
	const thead = h('thead', h('tr', columns.map((c) =>
	    h('th', { scope: 'col', class: c.class }, c.label))));
	const tbody = h('tbody');
	for (const r of rows) {
		const tr = h('tr', Object.assign({ class: rowClass ? rowClass(r) :
		    undefined }, rowAttrs ? rowAttrs(r) : {}));
		for (const c of columns) {
			// One child per cell, so that the phone layout (a grid
			// of the column name and the value) keeps it together.
			tr.appendChild(h('td', { class: c.class, 'data-label': c.label },
			    h('div.cell', c.cell(r))));
		}
		tbody.appendChild(tr);
	}
	if (rows.length === 0) {
		tbody.appendChild(h('tr.empty', h('td', { colspan: columns.length },
		    empty || t('common.none'))));
	}
	return h('div.table-wrap', h('table.data', caption ?
	    h('caption.sr-only', caption) : null, thead, tbody));
}

// A label and its control; hint is optional text under it.
export function field(label, control, hint) {
	if (!control.id)
		control.id = uid('f');
	const hintEl = hint ? h('span.hint', { id: uid('hint') }, hint) : null;
	if (hintEl)
		control.setAttribute('aria-describedby', hintEl.id);
	return h('div.field', h('label', { for: control.id }, label), control,
	    hintEl);
}

// A <select>; options: [[value, label], ...].
export function select(name, options, value, attrs = {}) {
	return h('select', Object.assign({ name }, attrs), options.map(([v, l]) =>
	    h('option', { value: v, selected: String(v) === String(value ?? '') },
		l)));
}

export function button(label, attrs = {}, iconName) {
	return h('button', Object.assign({ type: 'button' }, attrs),
	    iconName ? icon(iconName) : null, h('span', label));
}

// What went wrong, in words for the user.  The server's own message
// (English) is shown for input it refused, since it names the field.
export function errorText(err) {
	if (!err || typeof err.status !== 'number')
		return t('error.unexpected', { text: String(err && err.message || err) });
	switch (err.status) {
	case 0: return t('error.network');
	case 401: return t('error.session');
	case 403: return t('error.forbidden');
	case 404: return t('error.notfound');
	case 429: return t('error.ratelimit', { s: err.retryAfter ?? 60 });
	case 500: return t('error.server');
	default: return t('error.rejected', { text: err.message });
	}
}

export function errorBox(err) {
	return h('div.msg.msg-error', { role: 'alert' }, errorText(err));
}

export function message(text, kind = 'info') {
	return h('div', { class: ['msg', cls('msg-', kind)], role: 'status' }, text);
}

export function loading() {
	return h('p.loading', { role: 'status' }, t('common.loading'));
}

// Runs fn with button disabled and aria-busy; shows an error in out (an
// element) if fn throws.  Returns fn's value or undefined.
export async function busy(btn, out, fn) {
	if (btn) {
		btn.disabled = true;
		btn.setAttribute('aria-busy', 'true');
	}
	if (out)
		fill(out);
	try {
		return await fn();
	} catch (e) {
		if (out)
			fill(out, errorBox(e));
		else
			toast(errorText(e), 'error');
		return undefined;
	} finally {
		if (btn) {
			btn.disabled = false;
			btn.removeAttribute('aria-busy');
		}
	}
}

// A modal question; resolves true when confirmed.  A <dialog>, not
// window.confirm(), so it matches the page and the keyboard works.
export function confirmDialog(title, text, okLabel) {
	return new Promise((resolve) => {
		const titleId = uid('dlg');
		const ok = h('button.danger', { type: 'submit', value: 'ok' }, okLabel);
		const cancel = h('button', { type: 'submit', value: 'cancel' },
		    t('common.cancel'));
		const form = h('form', { method: 'dialog' },
		    h('h2', { id: titleId }, title), h('p', text),
		    h('div.actions', cancel, ok));
		const dlg = h('dialog.dialog', { 'aria-labelledby': titleId }, form);
		dlg.addEventListener('close', () => {
			resolve(dlg.returnValue === 'ok');
			dlg.remove();
		});
		document.body.appendChild(dlg);
		dlg.showModal();
		cancel.focus();
	});
}

// A short message at the corner of the screen.  link: a console route.
export function toast(text, kind = 'info', link) {
	const box = document.getElementById('toasts');
	if (!box)
		return;
	const close = h('button.toast-close', { type: 'button',
	    'aria-label': t('common.dismiss') }, '×');
	const el = h('div', { class: ['toast', cls('toast-', kind)] },
	    link ? h('a', { href: link.href }, text) : h('span', text), close);
	const remove = () => el.remove();
	close.addEventListener('click', remove);
	if (link)
		el.querySelector('a').addEventListener('click', remove);
	box.appendChild(el);
	while (box.children.length > 4)
		box.firstElementChild.remove();
	setTimeout(remove, kind === 'error' ? 12000 : 8000);
}

// A definition list from [[term, value], ...], leaving out empty values.
export function kv(pairs) {
	const dl = h('dl.kv');
	for (const [k, v] of pairs) {
		if (v === null || v === undefined || v === '')
			continue;
		dl.append(h('dt', k), h('dd', v));
	}
	return dl;
}

export function pageHeader(title, ...extra) {
	return h('div.page-head', h('h1', { tabindex: '-1' }, title),
	    extra.length ? h('div.page-tools', ...extra) : null);
}

// A cell text cut to max characters (the whole of it on hover).
export function clip(text, max = 160) {
	const str = String(text ?? '');
	if (str.length <= max)
		return str;
	return h('span', { title: str }, str.slice(0, max - 1) + '…');
}

export function muted(text) {
	return h('span.muted', text);
}
