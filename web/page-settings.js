// page-settings.js - #/settings: your account (password, language), the
// users (admins: add, change role, set a password, delete), your API
// tokens for scripts, the contact plan, and the rules loaded.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill } from './dom.js';
import { api, seg } from './api.js';
import { t, fmtNumber, language, setLanguage, LANGUAGES } from './i18n.js';
import { icon } from './icons.js';
import {
	card, dataTable, errorBox, field, loading, pageHeader, select, timeEl,
	button, busy, confirmDialog, toast, muted, message,
} from './ui.js';

const ROLES = ['viewer', 'responder', 'admin'];
// As the server checks them (src/web/web-users.h).
const MIN_PASSWORD = 10;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

function roleOptions() {
	return ROLES.map((r) => [r, t(`role.${r}`)]);
}

// A value of unknown shape from the server, as text.
function plain(v) {
	if (v === null || v === undefined)
		return '—';
	if (Array.isArray(v))
		return v.map(plain).join(', ');
	if (typeof v === 'object')
		return Object.entries(v).map(([k, x]) => `${k}: ${plain(x)}`).join('; ');
	return String(v);
}

function passwordPair(autocomplete) {
	const a = h('input', { type: 'password', autocomplete, minlength: MIN_PASSWORD,
	    required: true });
	const b = h('input', { type: 'password', autocomplete, minlength: MIN_PASSWORD,
	    required: true });
	return [a, b];
}

// Checks a new password and its repetition; returns a message or null.
function passwordProblem(a, b) {
	if (a.value.length < MIN_PASSWORD)
		return t('set.pw.short', { n: MIN_PASSWORD });
	if (a.value !== b.value)
		return t('set.pw.mismatch');
	return null;
}

function problem(out, text, focus) {
	fill(out, h('p.msg.msg-error', { role: 'alert' }, text));
	if (focus)
		focus.focus();
}

function accountCard(ctx) {
	const old = h('input', { type: 'password', autocomplete: 'current-password',
	    required: true });
	const [pw, pw2] = passwordPair('new-password');
	const out = h('div');
	const btn = h('button.primary', { type: 'submit' }, t('set.pw.change'));
	const form = h('form.action', { novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		const p = passwordProblem(pw, pw2);
		if (p)
			return problem(out, p, pw);
		const ok = await busy(btn, out, () => api.post(
		    `/users/${seg(ctx.session.user)}/password`,
		    { old: old.value, password: pw.value }).then(() => true));
		if (ok) {
			old.value = pw.value = pw2.value = '';
			fill(out, message(t('set.pw.done'), 'ok'));
		}
	} } }, h('h3', t('set.pw.title')), field(t('set.pw.old'), old),
	field(t('set.pw.new'), pw), field(t('set.pw.again'), pw2), btn, out);
	const lang = h('select', { name: 'lang', on: { change: (e) => {
		setLanguage(e.target.value, true);
		// app.js draws the frame and this page again.
		window.dispatchEvent(new Event('mamori-language'));
	} } }, Object.keys(LANGUAGES).map((l) => h('option', { value: l, lang: l,
	    selected: l === language() }, t(`lang.${l}`))));
	return card(t('set.account'),
	    h('p', t('set.signedin', { user: ctx.session.user,
		role: t(`role.${ctx.session.role}`) })),
	    h('div.action', field(t('lang.label'), lang)),
	    form);
}

function usersCard(ctx) {
	const box = h('div', loading());
	const out = h('div');
	const name = h('input', { name: 'name', type: 'text', autocomplete: 'off',
	    autocapitalize: 'none', spellcheck: 'false', required: true,
	    maxlength: 64 });
	const role = select('role', roleOptions(), 'responder');
	const [pw, pw2] = passwordPair('new-password');
	const addBtn = h('button.primary', { type: 'submit' }, icon('plus'),
	    h('span', t('set.users.add')));
	const addForm = h('form.action.grid-form', { novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		if (!NAME_RE.test(name.value))
			return problem(out, t('set.users.badname'), name);
		const p = passwordProblem(pw, pw2);
		if (p)
			return problem(out, p, pw);
		const who = name.value;
		const ok = await busy(addBtn, out, () => api.post('/users', {
		    name: who, role: role.value, password: pw.value }).then(() => true));
		if (ok) {
			name.value = pw.value = pw2.value = '';
			toast(t('set.users.added', { user: who }), 'ok');
			load();
		}
	} } }, h('h3', t('set.users.new')), field(t('set.users.name'), name),
	field(t('set.users.role'), role), field(t('set.pw.new'), pw),
	field(t('set.pw.again'), pw2), h('div.form-actions', addBtn), out);

	function row(u) {
		const rowOut = h('div');
		const isMe = u.name === ctx.session.user;
		const roleSel = select('role', roleOptions(), u.role, {
		    'aria-label': t('set.users.roleof', { user: String(u.name) }),
		    disabled: isMe });
		roleSel.addEventListener('change', async () => {
			const ok = await busy(roleSel, rowOut, () => api.post(
			    `/users/${seg(u.name)}/role`, { role: roleSel.value })
			    .then(() => true));
			if (ok)
				toast(t('set.users.rolechanged', { user: String(u.name),
				    role: t(`role.${roleSel.value}`) }), 'ok');
			else
				roleSel.value = u.role;
		});
		const pwIn = h('input', { type: 'password', autocomplete: 'new-password',
		    'aria-label': t('set.users.pwof', { user: String(u.name) }),
		    minlength: MIN_PASSWORD, placeholder: t('set.pw.new') });
		const pwBtn = h('button', { type: 'submit' }, t('set.users.setpw'));
		const pwForm = h('form.inline-form', { novalidate: true, on: { submit: async (e) => {
			e.preventDefault();
			if (pwIn.value.length < MIN_PASSWORD)
				return problem(rowOut, t('set.pw.short', { n: MIN_PASSWORD }), pwIn);
			const ok = await busy(pwBtn, rowOut, () => api.post(
			    `/users/${seg(u.name)}/password`, { password: pwIn.value })
			    .then(() => true));
			if (ok) {
				pwIn.value = '';
				toast(t('set.users.pwset', { user: String(u.name) }), 'ok');
			}
		} } }, pwIn, pwBtn);
		const del = button(t('common.delete'), { class: 'danger small',
		    disabled: isMe, on: { click: async () => {
			if (!await confirmDialog(t('set.users.delete'),
			    t('set.users.delete.confirm', { user: String(u.name) }),
			    t('common.delete')))
				return;
			const ok = await busy(del, rowOut, () =>
			    api.del(`/users/${seg(u.name)}`).then(() => true));
			if (ok) {
				toast(t('set.users.deleted', { user: String(u.name) }), 'ok');
				load();
			}
		} } }, 'trash');
		return { u, roleSel, pwForm, del, rowOut };
	}

	async function load() {
		try {
			const r = await api.get('/users');
			const rows = (Array.isArray(r.users) ? r.users : []).map(row);
			fill(box, dataTable([
				{ label: t('set.users.name'), cell: (x) => [h('strong',
				    String(x.u.name ?? '')), x.u.name === ctx.session.user ?
				    [' ', muted(t('set.users.you'))] : null] },
				{ label: t('set.users.role'), cell: (x) => x.roleSel },
				{ label: t('set.users.created'), class: 'nowrap', cell: (x) =>
				    timeEl(x.u.created) },
				{ label: t('set.users.lastlogin'), class: 'nowrap', cell: (x) =>
				    x.u.last_login ? timeEl(x.u.last_login, true) :
					muted(t('set.users.never')) },
				{ label: t('col.actions'), cell: (x) => h('div.row-actions',
				    x.pwForm, x.del, x.rowOut) },
			], rows, { caption: t('set.users') }));
		} catch (e) {
			if (e.status !== 401)
				fill(box, errorBox(e));
		}
	}
	load();
	const c = card(t('set.users'), box, addForm);
	c.classList.add('span-all');
	c.dataset.card = 'users';
	return c;
}

function tokensCard() {
	const box = h('div', loading());
	const out = h('div');
	const shown = h('div');
	const name = h('input', { name: 'name', type: 'text', required: true,
	    maxlength: 64, autocomplete: 'off' });
	const btn = h('button.primary', { type: 'submit' }, icon('key'),
	    h('span', t('set.tokens.create')));
	const form = h('form.action', { novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		if (!name.value.trim())
			return problem(out, t('set.tokens.noname'), name);
		const r = await busy(btn, out, () => api.post('/tokens',
		    { name: name.value.trim() }));
		if (r && typeof r.token === 'string') {
			name.value = '';
			const tokIn = h('input.mono', { type: 'text', value: r.token,
			    readonly: true, 'aria-label': t('set.tokens.value') });
			const copy = button(t('set.tokens.copy'), { on: { click: async () => {
				tokIn.select();
				try {
					await navigator.clipboard.writeText(r.token);
					toast(t('set.tokens.copied'), 'ok');
				} catch (err) {
					// not a secure context: the text stays selected
				}
			} } });
			fill(shown, h('div.msg.msg-ok.token-once', { role: 'status' },
			    h('p', t('set.tokens.once')), h('div.token-row', tokIn, copy)));
			tokIn.focus();
			tokIn.select();
			load();
		}
	} } }, h('h3', t('set.tokens.new')), field(t('set.tokens.name'), name,
	    t('set.tokens.hint')), btn, out);

	async function load() {
		try {
			const r = await api.get('/tokens');
			const toks = Array.isArray(r.tokens) ? r.tokens : [];
			fill(box, dataTable([
				{ label: t('set.tokens.name'), cell: (x) => String(x.name ?? '') },
				{ label: t('set.tokens.created'), class: 'nowrap', cell: (x) =>
				    timeEl(x.created) },
				{ label: t('set.tokens.lastused'), class: 'nowrap', cell: (x) =>
				    x.last_used ? timeEl(x.last_used, true) : muted(t('set.users.never')) },
				{ label: t('col.actions'), cell: (x) => {
					const rowOut = h('div');
					const del = button(t('set.tokens.revoke'), { class: 'danger small',
					    on: { click: async () => {
						if (!await confirmDialog(t('set.tokens.revoke'),
						    t('set.tokens.revoke.confirm', { name: String(x.name ?? '') }),
						    t('set.tokens.revoke')))
							return;
						const ok = await busy(del, rowOut, () =>
						    api.del(`/tokens/${seg(x.id)}`).then(() => true));
						if (ok)
							load();
					} } }, 'trash');
					return [del, rowOut];
				} },
			], toks, { empty: t('set.tokens.none'), caption: t('set.tokens') }));
		} catch (e) {
			if (e.status !== 401)
				fill(box, errorBox(e));
		}
	}
	load();
	const c = card(t('set.tokens'), h('p.hint', t('set.tokens.about')), box, shown, form);
	c.dataset.card = 'tokens';
	return c;
}

function contactsCard() {
	const box = h('div', loading());
	(async () => {
		try {
			const r = await api.get('/contacts');
			const cs = Array.isArray(r.contacts) ? r.contacts : [];
			const routes = Array.isArray(r.routes) ? r.routes : [];
			fill(box, dataTable([
				{ label: t('col.name'), cell: (c) => h('strong', String(c.name ?? '')) },
				{ label: t('set.contacts.role'), cell: (c) => String(c.role ?? '') },
				{ label: t('set.contacts.email'), class: 'mono', cell: (c) =>
				    c.email ? plain(c.email) : '—' },
				{ label: t('set.contacts.webhook'), class: 'mono', cell: (c) =>
				    c.webhook ? String(c.webhook) : '—' },
			], cs, { empty: t('set.contacts.none'), caption: t('set.contacts') }),
			h('h3', t('set.routes')), routes.length === 0 ?
			    h('p.muted', t('common.none')) : h('ol.plain.routes', routes.map((x) =>
				h('li.mono', plain(x)))));
		} catch (e) {
			if (e.status !== 401)
				fill(box, errorBox(e));
		}
	})();
	const c = card(t('set.contacts'), box);
	c.dataset.card = 'contacts';
	return c;
}

function rulesCard() {
	const box = h('div', loading());
	(async () => {
		try {
			const r = await api.get('/rules');
			const files = Array.isArray(r.files) ? r.files : [];
			fill(box, h('div.tiles.small',
			    h('div.tile', h('div.tile-label', t('set.rules.rules')),
				h('div.tile-value', fmtNumber(Number(r.rules)))),
			    h('div.tile', h('div.tile-label', t('set.rules.decoders')),
				h('div.tile-value', fmtNumber(Number(r.decoders))))),
			r.path ? h('p', t('set.rules.path'), ' ', h('span.mono', String(r.path))) : null,
			h('details', h('summary', t('set.rules.files', { n: files.length })),
			    h('ul.plain.files', files.map((x) => h('li.mono', plain(x))))));
		} catch (e) {
			if (e.status !== 401)
				fill(box, errorBox(e));
		}
	})();
	const c = card(t('set.rules'), box);
	c.dataset.card = 'rules';
	return c;
}

export function render(ctx) {
	const page = h('div.page');
	function draw() {
		fill(page, pageHeader(t('nav.settings')),
		    h('div.settings-grid', accountCard(ctx),
			ctx.can('admin') ? usersCard(ctx) : null, tokensCard(),
			contactsCard(), rulesCard()));
	}
	draw();
	return { title: t('nav.settings'), node: page };
}

