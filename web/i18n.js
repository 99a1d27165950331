// i18n.js - the console's language: English or Japanese, chosen from the
// browser's languages (navigator.languages) unless the user picked one
// with the switch in the top bar (kept in localStorage).  Dates, times
// and numbers are formatted for the language chosen.
//
// Messages are plain text with {name} placeholders; the result always
// goes into the page as text, never as markup.  A key with plural forms
// has variants "key_one", "key_other" (Intl.PluralRules).
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import en from './i18n-en.js';
import ja from './i18n-ja.js';

export const LANGUAGES = { en, ja };
const STORE_KEY = 'mamori.lang';

const cur = {
	lang: 'en',
	msgs: en,
	plural: new Intl.PluralRules('en'),
	dateTime: null,
	time: null,
	date: null,
	num: null,
	rel: null,
};

function stored() {
	try {
		return localStorage.getItem(STORE_KEY);
	} catch (e) {
		return null;	// storage disabled
	}
}

// The language to use: the user's choice, else the first of the
// browser's languages that the console has, else English.
export function pickLanguage() {
	const s = stored();
	if (s && Object.hasOwn(LANGUAGES, s))
		return s;
	const prefs = navigator.languages && navigator.languages.length ?
	    navigator.languages : [navigator.language || 'en'];
	for (const l of prefs) {
		const base = String(l).toLowerCase().split('-')[0];
		if (Object.hasOwn(LANGUAGES, base))
			return base;
	}
	return 'en';
}

export function language() {
	return cur.lang;
}

export function setLanguage(lang, remember) {
	if (!Object.hasOwn(LANGUAGES, lang))
		lang = 'en';
	cur.lang = lang;
	cur.msgs = LANGUAGES[lang];
	cur.plural = new Intl.PluralRules(lang);
	cur.dateTime = new Intl.DateTimeFormat(lang, {
		year: 'numeric', month: 'short', day: 'numeric',
		hour: '2-digit', minute: '2-digit', second: '2-digit',
	});
	cur.time = new Intl.DateTimeFormat(lang, {
		hour: '2-digit', minute: '2-digit',
	});
	cur.date = new Intl.DateTimeFormat(lang, {
		month: 'short', day: 'numeric',
	});
	cur.num = new Intl.NumberFormat(lang);
	cur.rel = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
	document.documentElement.lang = lang;
	if (remember) {
		try {
			localStorage.setItem(STORE_KEY, lang);
		} catch (e) {
			// the choice lasts for this page only
		}
	}
}

// The message for key with {name} replaced by params.name.
export function t(key, params) {
	let msg;
	if (params && typeof params.n === 'number') {
		// The language's own form, then its one form for all numbers
		// (Japanese has no plurals), and English only after both.
		const form = `${key}_${cur.plural.select(params.n)}`;
		msg = cur.msgs[form] ?? cur.msgs[key] ?? en[form];
	}
	msg = msg ?? cur.msgs[key] ?? en[key];
	if (msg === undefined)
		return key;
	if (!params)
		return msg;
	return msg.replace(/\{([a-z_]+)\}/g, (m, name) =>
	    Object.hasOwn(params, name) ? String(
		typeof params[name] === 'number' ? cur.num.format(params[name]) :
		params[name]) : m);
}

// The message for key if there is one, else fallback (for names that
// come from the server: categories, statuses, timeline kinds).
export function tOr(key, fallback) {
	const msg = cur.msgs[key] ?? en[key];
	return msg === undefined ? String(fallback ?? '') : msg;
}

// A Date from what the API gives: an RFC 3339 string, or seconds (or
// milliseconds) since the epoch.  null when there is none.
export function toDate(v) {
	if (v === null || v === undefined || v === '')
		return null;
	let d;
	if (typeof v === 'number')
		d = new Date(v > 1e12 ? v : v * 1000);
	else
		d = new Date(String(v));
	return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtDateTime(v) {
	const d = toDate(v);
	return d ? cur.dateTime.format(d) : '—';
}

export function fmtTime(v) {
	const d = toDate(v);
	return d ? cur.time.format(d) : '';
}

export function fmtDay(v) {
	const d = toDate(v);
	return d ? cur.date.format(d) : '';
}

export function fmtNumber(n) {
	return typeof n === 'number' && Number.isFinite(n) ?
	    cur.num.format(n) : '—';
}

// "3 minutes ago", "5分前".
export function fmtRelative(v, now = Date.now()) {
	const d = toDate(v);
	if (!d)
		return '—';
	const sec = Math.round((d.getTime() - now) / 1000);
	const abs = Math.abs(sec);
	if (abs < 45)
		return cur.rel.format(sec, 'second');
	if (abs < 45 * 60)
		return cur.rel.format(Math.round(sec / 60), 'minute');
	if (abs < 22 * 3600)
		return cur.rel.format(Math.round(sec / 3600), 'hour');
	return cur.rel.format(Math.round(sec / 86400), 'day');
}

// A duration in seconds, signed: "+2.5 s", "-3 min", "+1.2 h".
export function fmtOffset(sec) {
	if (typeof sec !== 'number' || !Number.isFinite(sec))
		return '—';
	const sign = sec < 0 ? '−' : '+';
	const a = Math.abs(sec);
	const one = new Intl.NumberFormat(cur.lang, { maximumFractionDigits: 1 });
	if (a < 120)
		return `${sign}${one.format(a)} ${t('unit.s')}`;
	if (a < 7200)
		return `${sign}${one.format(a / 60)} ${t('unit.min')}`;
	if (a < 172800)
		return `${sign}${one.format(a / 3600)} ${t('unit.h')}`;
	return `${sign}${one.format(a / 86400)} ${t('unit.d')}`;
}
