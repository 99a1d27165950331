// page-login.js - #/login: user name and password (POST /login).
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { field } from './ui.js';

export function render(ctx) {
	const user = h('input', { name: 'user', type: 'text', autocomplete: 'username',
	    autocapitalize: 'none', spellcheck: 'false', required: true });
	const pass = h('input', { name: 'password', type: 'password',
	    autocomplete: 'current-password', required: true });
	const out = h('div.login-msg', { 'aria-live': 'assertive' });
	const submit = h('button.primary', { type: 'submit' }, t('login.submit'));
	const form = h('form.login-form', { novalidate: true, on: { submit: async (e) => {
		e.preventDefault();
		fill(out);
		if (!user.value || !pass.value) {
			fill(out, h('p.msg.msg-error', { role: 'alert' }, t('login.missing')));
			(user.value ? pass : user).focus();
			return;
		}
		submit.disabled = true;
		try {
			const s = await api.post('/login', { user: user.value,
			    password: pass.value });
			pass.value = '';
			ctx.login(s);
		} catch (err) {
			let msg;
			if (err.status === 401)
				msg = t('login.wrong');
			else if (err.status === 429)
				msg = t('login.ratelimit', { s: err.retryAfter ?? 900 });
			else if (err.status === 0)
				msg = t('error.network');
			else
				msg = t('error.rejected', { text: err.message });
			fill(out, h('p.msg.msg-error', { role: 'alert' }, msg));
			pass.value = '';
			pass.focus();
		} finally {
			submit.disabled = false;
		}
	} } },
	field(t('login.user'), user), field(t('login.password'), pass), out, submit);
	setTimeout(() => user.focus(), 0);
	return {
		title: t('login.title'),
		node: h('div.login-page', h('div.login-box',
		    h('div.login-brand', icon('shield', 'logo-big'),
			h('h1', 'mamori'), h('p.muted', t('login.tagline'))),
		    h('h2.sr-only', t('login.title')), form,
		    h('p.login-hint.muted', t('login.hint')))),
	};
}
