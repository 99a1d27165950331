// live.js - live updates from the server's event stream (GET
// /api/v1/events, Server-Sent Events): "alert" for each new alert,
// "incident" when an incident opens or changes, "stats" every few
// seconds.  The browser's EventSource reconnects by itself after a
// network error; when the server refused the stream (the session
// expired) it gives up, and then we ask /session whether to go back to
// the login page or to try again a little later.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause

import { BASE, api } from './api.js';

export class Live {
	// onEvent(type, data); onState('connecting' | 'live' | 'down')
	constructor(onEvent, onState) {
		this.onEvent = onEvent;
		this.onState = onState;
		this.es = null;
		this.retry = null;
		this.delay = 2000;
		this.stopped = true;
	}

	start() {
		this.stopped = false;
		this.open();
	}

	open() {
		clearTimeout(this.retry);
		if (this.es)
			this.es.close();
		this.onState('connecting');
		const es = new EventSource(`${BASE}/events`);
		this.es = es;
		es.addEventListener('open', () => {
			this.delay = 2000;
			this.onState('live');
		});
		for (const type of ['alert', 'incident', 'stats']) {
			es.addEventListener(type, (ev) => {
				let data;
				try {
					data = JSON.parse(ev.data);
				} catch (e) {
					return;	// not JSON: nothing to show
				}
				if (data && typeof data === 'object')
					this.onEvent(type, data);
			});
		}
		es.addEventListener('error', () => {
			if (this.stopped)
				return;
			if (es.readyState === EventSource.CLOSED) {
				this.onState('down');
				this.later();
			} else {
				this.onState('connecting');
			}
		});
	}

	// The stream was refused: a 401 from /session sends the console to
	// the login page (api.js); anything else, try again with back-off.
	later() {
		clearTimeout(this.retry);
		this.retry = setTimeout(async () => {
			if (this.stopped)
				return;
			try {
				await api.get('/session');
			} catch (e) {
				if (e.status === 401)
					return;
			}
			this.delay = Math.min(this.delay * 2, 60000);
			if (!this.stopped)
				this.open();
		}, this.delay);
	}

	stop() {
		this.stopped = true;
		clearTimeout(this.retry);
		if (this.es) {
			this.es.close();
			this.es = null;
		}
		this.onState('off');
	}
}
