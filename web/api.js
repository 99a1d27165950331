// api.js - talking to mamori's JSON API (/api/v1, docs/api.md).
//
// The session lives in an HttpOnly cookie the script cannot read; the
// CSRF token that must go with every state-changing request comes in the
// answer of POST /login and GET /session and is kept here, in memory
// only.  A 401 from any call means the session is gone: the console
// goes back to its login page.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

export const BASE = '/api/v1';

export class ApiError extends Error {
	constructor(status, message, retryAfter) {
		super(message);
		this.name = 'ApiError';
		this.status = status;		// 0: no answer (network)
		this.retryAfter = retryAfter;	// seconds, or null
	}
}

const state = {
	csrf: null,
	onUnauthorized: null,
};

export function setCsrf(token) {
	state.csrf = typeof token === 'string' ? token : null;
}

export function onUnauthorized(fn) {
	state.onUnauthorized = fn;
}

// A query string from an object, leaving out empty values.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '' || v === false)
			continue;
		q.set(k, v === true ? '1' : String(v));
	}
	const str = q.toString();
	return str ? '?' + str : '';
}

// One path segment from a value (a user name, an address).
export function seg(v) {
	return encodeURIComponent(String(v));
}

async function request(method, path, { params, body } = {}) {
	const headers = { Accept: 'application/json' };
	const init = {
		method,
		headers,
		credentials: 'same-origin',
		cache: 'no-store',
		redirect: 'error',
	};
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	if (method !== 'GET' && method !== 'HEAD' && state.csrf)
		headers['X-CSRF-Token'] = state.csrf;
	let res;
	try {
		res = await fetch(BASE + path + query(params), init);
	} catch (e) {
		throw new ApiError(0, e && e.message ? e.message : 'network error',
		    null);
	}
	let data = null;
	const type = res.headers.get('Content-Type') || '';
	if (res.status !== 204 && type.includes('json')) {
		try {
			data = await res.json();
		} catch (e) {
			data = null;
		}
	}
	if (!res.ok) {
		const msg = data && typeof data.error === 'string' ?
		    data.error : `${res.status} ${res.statusText}`;
		const ra = Number.parseInt(res.headers.get('Retry-After'), 10);
		const err = new ApiError(res.status, msg,
		    Number.isFinite(ra) ? ra : null);
		if (res.status === 401 && path !== '/login' && state.onUnauthorized)
			state.onUnauthorized(err);
		throw err;
	}
	return data;
}

export const api = {
	get: (path, params) => request('GET', path, { params }),
	post: (path, body = {}) => request('POST', path, { body }),
	del: (path) => request('DELETE', path),
};

// The address of an export (a download the browser fetches itself with
// the session cookie).  id is checked to be an integer so that the link
// cannot lead anywhere else.
export function exportHref(id, format) {
	if (!Number.isSafeInteger(id) || !/^[a-z]+$/.test(format))
		throw new Error('bad export link');
	return `${BASE}/incidents/${id}/export?format=${format}`;
}
