// test-xss.js - what attackers write is shown as text and never runs.
// The payloads <script>window.__xss=1</script> and
// <img src=x onerror="window.__xss=1"> go in as an SSH user name (the
// first: sshd's decoder takes a user name without spaces), as text
// after a log line, as the host name of a syslog message, and as
// the title, summary, reporter, parties and log records of a report
// from outside (`mamori incident import`); some arrive while the
// console is open (live, through the event stream).  Every page that
// shows them is opened: window.__xss must stay undefined, no dialog may
// open, no Content-Security-Policy violation may happen, and the text
// must be on the page literally.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Test, sshFailures, XSS_SCRIPT, XSS_IMG } = require('./lib.js');

function raw5424(host, app, msg) {
	const ts = new Date().toISOString();
	return `<38>1 ${ts} ${host} ${app} 4242 - - ${msg}`;
}

Test.run('xss', async (t) => {
	await t.startServer();
	t.check('the first start logged the admin password', !!t.adminPassword);

	// A report from outside, written by the attacker.
	const report = path.join(t.dir, 'report.json');
	fs.writeFileSync(report, JSON.stringify({
		reporter: `${XSS_IMG} <abuse@example.net>`,
		title: `Report ${XSS_SCRIPT}`,
		text: `Report ${XSS_SCRIPT}\nYour host sent ${XSS_IMG} to us.`,
		category: 'attack',
		attackers: ['192.0.2.66'],
		victims: [{ kind: 'user', value: XSS_SCRIPT }],
		logs: [`Nov 28 09:00:01 mx postfix/smtpd[1]: ${XSS_IMG}`],
	}));
	const imp = t.mamori(['incident', 'import', report]);
	t.equal('the report is imported', imp.status, 0);
	if (imp.status !== 0)
		console.error(imp.stderr);

	// Log lines: the payload as the user name, after the line, and as the
	// host name.
	t.sendLogs(sshFailures(10, `invalid user ${XSS_SCRIPT}`, '203.0.113.10'), 'sshd');
	t.sendLogs(sshFailures(10, 'root', '203.0.113.11').map((l) => `${l} ${XSS_IMG}`), 'sshd');
	// (The rules' pre-decoder, like OSSEC's, takes no host name with
	// '<' in it, so these are stored and shown but raise no alert.)
	await t.sendRaw(sshFailures(10, `invalid user ${XSS_SCRIPT}`, '203.0.113.12')
	    .map((l) => raw5424(XSS_SCRIPT, 'sshd', l)));

	await t.launch();
	const ctx = await t.context();
	const page = await ctx.newPage();
	await t.login(page, 'admin', t.adminPassword);

	// The server must have taken the payloads in, or this test proves
	// nothing.
	await t.until('alerts carry the payloads', async () => {
		const a = await t.apiGet(page, '/alerts?limit=200');
		const s = JSON.stringify(a.alerts || []);
		return s.includes('window.__xss=1') && (a.alerts || []).length >= 20;
	});
	const incidents = await t.until('incidents from the attacks', async () => {
		const r = await t.apiGet(page, '/incidents?status=all&limit=100');
		return (r.incidents || []).length >= 3 ? r.incidents : null;
	}) || [];

	// Every page, and what must be seen on it as text.
	async function visit(route, name, wait, expect) {
		await page.goto(`${t.base}/#/${route}`);
		await page.locator(wait).first().waitFor();
		const text = await page.locator('main').innerText();
		for (const e of expect)
			t.contains(`${name}: the payload is shown as text`, text, e);
		await t.pageIsClean(page, name);
		await t.screenshot(page, name);
	}

	await visit('overview', 'overview', 'svg.chart', []);
	await visit('alerts', 'alerts', 'table.data tbody tr[data-id]', [XSS_SCRIPT]);
	await visit('alerts?group=srcip', 'alerts-by-source', 'table.data tbody tr',
	    ['203.0.113.10', XSS_SCRIPT]);
	await visit('alerts?group=rule', 'alerts-by-rule', 'table.data tbody tr', []);
	await visit(`alerts?q=${encodeURIComponent('window.__xss')}`, 'alerts-search',
	    'table.data tbody tr[data-id]', [XSS_SCRIPT]);
	await visit('incidents', 'incidents', '.inc-card', [XSS_SCRIPT]);
	for (const inc of incidents) {
		await visit(`incidents/${inc.id}`, `incident-${inc.id}`, 'ol.timeline, .card p.muted', []);
		// The log lines behind the alerts come in a second request.
		await page.locator('table.data').last().waitFor();
		await t.pageIsClean(page, `incident ${inc.id} with its logs`);
	}
	const reported = incidents.find((i) => String(i.title).includes(XSS_SCRIPT));
	t.check('the report\'s title is kept', !!reported,
	    incidents.map((i) => i.title).join(' | '));
	if (reported) {
		await visit(`incidents/${reported.id}`, 'incident-report', '.inc-head h1',
		    [XSS_SCRIPT, XSS_IMG]);
		t.contains('the title is text', await page.locator('.inc-head h1').innerText(),
		    XSS_SCRIPT);
	}
	await visit('logs', 'logs', 'table.data tbody tr', [XSS_SCRIPT, XSS_IMG]);
	await visit(`logs?q=${encodeURIComponent(XSS_IMG)}`, 'logs-search',
	    'table.data tbody tr', [XSS_IMG]);
	// Open a record's details: the raw line and structured data.
	await page.locator('details.rec summary').first().click();
	await page.locator('details.rec[open] pre.raw').first().waitFor();
	t.contains('the raw line is text', await page.locator('details.rec[open] pre.raw')
	    .first().innerText(), 'window.__xss=1');
	await t.pageIsClean(page, 'log details');
	await visit('hosts', 'hosts', 'table.data tbody tr', [XSS_SCRIPT]);
	await visit('settings', 'settings', '.settings-grid', []);

	// Live: more payloads while the board and then the alerts are open.
	await visit('incidents', 'incidents-live', '.inc-card', []);
	await page.locator('.live[data-state="live"]').waitFor();
	const before = await page.locator('.inc-card').count();
	t.sendLogs(sshFailures(10, `invalid user ${XSS_SCRIPT}`, '203.0.113.13'), 'sshd');
	await t.until('a live incident', async () =>
	    (await page.locator('.inc-card').count()) > before);
	await t.pageIsClean(page, 'board after a live incident');
	await visit('alerts', 'alerts-live', 'table.data tbody tr[data-id]', []);
	t.sendLogs(sshFailures(1, `invalid user ${XSS_SCRIPT}`, '203.0.113.14'), 'sshd');
	await page.locator('table.data tbody tr.fresh', { hasText: '203.0.113.14' }).waitFor();
	t.contains('a live alert shows the payload as text',
	    await page.locator('table.data tbody tr.fresh').first().innerText(), XSS_SCRIPT);
	await t.pageIsClean(page, 'alerts after a live alert');
	// Toasts of new incidents carried titles from the attacker too.
	t.equal('finally: nothing ran', await page.evaluate(() => typeof window.__xss),
	    'undefined');
});
