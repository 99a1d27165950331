// app.js - mamori's web console: the frame (top bar, navigation, live
// indicator, language switch), the session, and hash routing
// (#/overview, #/alerts, #/incidents, #/incidents/42, #/logs, #/hosts,
// #/settings, #/login), so the server serves one page and needs no
// list of routes.  Each page is a module with render(ctx) returning
// {node, onLive?(type, data), destroy?()}.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { h, fill } from './dom.js';
import { api, setCsrf, onUnauthorized } from './api.js';
import { t, pickLanguage, setLanguage, language, LANGUAGES, toDate } from './i18n.js';
import { icon } from './icons.js';
import { Live } from './live.js';
import { toast, errorBox } from './ui.js';
import * as loginPage from './page-login.js';
import * as overviewPage from './page-overview.js';
import * as alertsPage from './page-alerts.js';
import * as incidentsPage from './page-incidents.js';
import * as incidentPage from './page-incident.js';
import * as logsPage from './page-logs.js';
import * as hostsPage from './page-hosts.js';
import * as settingsPage from './page-settings.js';

const NAV = [
	['overview', 'nav.overview', 'overview'],
	['alerts', 'nav.alerts', 'alert'],
	['incidents', 'nav.incidents', 'incident'],
	['logs', 'nav.logs', 'logs'],
	['hosts', 'nav.hosts', 'hosts'],
	['settings', 'nav.settings', 'settings'],
];

const AFTER_LOGIN = 'mamori.after';

const app = {
	session: null,		// {user, role, csrf, expires}
	page: null,		// what the current page's render() returned
	pageKey: null,		// route path of the current page
	live: null,
	liveState: 'off',
	seenIncidents: new Set(),
	shell: null,
};

// "#/incidents/42?x=1" -> {parts: ['incidents', '42'], params}
function parseHash() {
	const raw = location.hash.replace(/^#/, '');
	const [path, q] = raw.split('?', 2);
	const parts = path.split('/').filter(Boolean).map((p) => {
		try {
			return decodeURIComponent(p);
		} catch (e) {
			return p;
		}
	});
	return { parts, params: new URLSearchParams(q || '') };
}

export function navigate(path, params, replace) {
	let hash = '#/' + path;
	const q = params ? new URLSearchParams(
	    Object.entries(params).filter(([, v]) => v !== '' && v !== null &&
		v !== undefined && v !== false)).toString() : '';
	if (q)
		hash += '?' + q;
	if (location.hash === hash) {
		route();
	} else if (replace) {
		history.replaceState(null, '', hash);
		route();
	} else {
		location.hash = hash;
	}
}

export function can(what) {
	const role = app.session ? app.session.role : null;
	if (what === 'respond')
		return role === 'responder' || role === 'admin';
	if (what === 'admin')
		return role === 'admin';
	return role !== null;
}

function liveLabel(state) {
	return t(`live.${state}`);
}

function buildShell() {
	const nav = h('nav.nav', { 'aria-label': t('nav.label') },
	    h('ul', NAV.map(([key, label, ic]) => h('li',
		h('a', { href: `#/${key}`, 'data-route': key }, icon(ic),
		    h('span', t(label)))))));
	const liveEl = h('span.live', { role: 'status', 'data-state': app.liveState,
	    title: liveLabel(app.liveState) }, h('span.live-dot', { 'aria-hidden': 'true' }),
	h('span.live-text', liveLabel(app.liveState)));
	const langSel = h('select', { id: 'lang', 'aria-label': t('lang.label'),
	    on: { change: (e) => {
		setLanguage(e.target.value, true);
		rerender();
	} } }, Object.keys(LANGUAGES).map((l) => h('option', {
	    value: l, selected: l === language(), lang: l }, t(`lang.${l}`))));
	const userEl = app.session ? h('span.user', { title: t(`role.${app.session.role}`) },
	    icon('user'), h('span.user-name', app.session.user),
	    h('span.user-role', t(`role.${app.session.role}`))) : null;
	const logout = app.session ? h('button.logout', { type: 'button',
	    on: { click: logoutClicked } }, icon('logout'),
	h('span', t('nav.logout'))) : null;
	const skip = h('a.skip', { href: '#/', on: { click: (e) => {
		e.preventDefault();
		document.getElementById('main').focus();
	} } }, t('nav.skip'));
	const header = h('header.topbar',
	    h('div.brand', icon('shield', 'logo'), h('span.brand-name', 'mamori')),
	    app.session ? nav : null,
	    h('div.top-tools', app.session ? liveEl : null,
		h('label.lang', icon('globe'), langSel), userEl, logout));
	const main = h('main', { id: 'main', tabindex: '-1' });
	const toasts = h('div.toasts', { id: 'toasts', 'aria-live': 'polite' });
	fill(document.body, skip, header, main, toasts);
	document.body.classList.toggle('logged-out', !app.session);
	app.shell = { nav, liveEl, main };
}

function setLiveState(state) {
	app.liveState = state;
	if (app.shell && app.shell.liveEl) {
		app.shell.liveEl.dataset.state = state;
		app.shell.liveEl.title = liveLabel(state);
		app.shell.liveEl.querySelector('.live-text').textContent = liveLabel(state);
	}
}

function liveEvent(type, data) {
	if (type === 'incident' && Number.isSafeInteger(data.id)) {
		const created = toDate(data.created);
		if (!app.seenIncidents.has(data.id) && data.status === 'new' &&
		    created && Date.now() - created.getTime() < 10 * 60 * 1000) {
			toast(t('toast.newincident', { id: data.id,
			    title: String(data.title ?? '') }), 'incident',
			{ href: `#/incidents/${data.id}` });
		}
		app.seenIncidents.add(data.id);
	}
	if (app.page && app.page.onLive) {
		try {
			app.page.onLive(type, data);
		} catch (e) {
			console.error('live update', e);
		}
	}
}

function startLive() {
	if (app.live)
		app.live.stop();
	app.live = new Live(liveEvent, setLiveState);
	app.live.start();
}

async function logoutClicked() {
	try {
		await api.post('/logout');
	} catch (e) {
		// gone already, or the server is down: forget it here anyway
	}
	loggedOut(false);
}

// The session is over (logout, expiry, 401): back to the login page.
function loggedOut(remember) {
	if (remember && app.session) {
		try {
			sessionStorage.setItem(AFTER_LOGIN, location.hash);
		} catch (e) {
			// not kept
		}
	}
	app.session = null;
	setCsrf(null);
	if (app.live) {
		app.live.stop();
		app.live = null;
	}
	buildShell();
	navigate('login', null, true);
}

function loggedIn(session) {
	app.session = session;
	setCsrf(session.csrf);
	buildShell();
	startLive();
	let after = null;
	try {
		after = sessionStorage.getItem(AFTER_LOGIN);
		sessionStorage.removeItem(AFTER_LOGIN);
	} catch (e) {
		after = null;
	}
	if (after && /^#\/[a-z]/.test(after) && !after.startsWith('#/login')) {
		history.replaceState(null, '', after);
		route();
	} else {
		navigate('overview', null, true);
	}
}

const PAGES = {
	login: loginPage,
	overview: overviewPage,
	alerts: alertsPage,
	incidents: incidentsPage,
	logs: logsPage,
	hosts: hostsPage,
	settings: settingsPage,
};

function notFound() {
	return { node: h('div.page', h('h1', { tabindex: '-1' }, t('notfound.title')),
	    h('p', t('notfound.text')), h('p', h('a', { href: '#/overview' },
		t('nav.overview')))), title: t('notfound.title') };
}

function route(force) {
	const { parts, params } = parseHash();
	let key = parts[0] || '';
	let args = parts.slice(1);
	if (!app.session && key !== 'login') {
		if (key) {
			try {
				sessionStorage.setItem(AFTER_LOGIN, location.hash);
			} catch (e) {
				// not kept
			}
		}
		history.replaceState(null, '', '#/login');
		key = 'login';
		args = [];
	} else if (app.session && (key === '' || key === 'login')) {
		history.replaceState(null, '', '#/overview');
		key = 'overview';
		args = [];
	}
	let mod = Object.hasOwn(PAGES, key) ? PAGES[key] : null;
	if (key === 'incidents' && args.length === 1) {
		mod = incidentPage;
	} else if (args.length > 0) {
		mod = null;
	}
	const pageKey = [key, ...args].join('/');
	const samePage = pageKey === app.pageKey && !force;
	// On the first page after loading, the focus stays at the top of
	// the document (so that the first Tab reaches "skip to content");
	// after that, moving to a page moves the focus to its heading.
	const firstPage = app.pageKey === null;
	if (app.page && app.page.destroy)
		app.page.destroy();
	app.page = null;
	let page;
	try {
		page = mod ? mod.render({ params, args, session: app.session,
		    navigate, can, login: loggedIn }) : notFound();
	} catch (e) {
		console.error(e);
		page = { node: errorBox(e) };
	}
	app.page = page;
	app.pageKey = pageKey;
	fill(app.shell.main, page.node);
	document.title = `${page.title || t(`nav.${key}`)} — mamori`;
	for (const a of app.shell.nav.querySelectorAll('a[data-route]')) {
		if (a.dataset.route === key)
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	}
	if (!samePage) {
		window.scrollTo(0, 0);
		const h1 = app.shell.main.querySelector('h1');
		if (h1 && key !== 'login' && !firstPage)
			h1.focus({ preventScroll: true });
	}
}

function rerender() {
	buildShell();
	route(true);
}

async function boot() {
	setLanguage(pickLanguage(), false);
	onUnauthorized(() => {
		if (app.session)
			loggedOut(true);
	});
	buildShell();
	fill(app.shell.main, h('p.loading', { role: 'status' }, t('common.loading')));
	window.addEventListener('hashchange', () => route());
	window.addEventListener('mamori-language', rerender);
	try {
		const s = await api.get('/session');
		if (s && typeof s.user === 'string') {
			app.session = s;
			setCsrf(s.csrf);
			buildShell();
			startLive();
		}
	} catch (e) {
		if (e.status !== 401) {
			fill(app.shell.main, errorBox(e));
			return;
		}
	}
	route();
}

boot();
