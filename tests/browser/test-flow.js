// test-flow.js - a responder's day in the console, against a real
// server: log in (a wrong password first), watch the incident board
// while an SSH brute force is sent with logger and see the incident
// appear live (no reload), open it, tick a playbook step, change the
// status, add a note, take it, notify the contact plan (a webhook on
// loopback), block and unblock the attacker (respond.dry_run), export
// IODEF and Markdown; then the alerts (a live alert, grouping, search),
// the logs (filters, a regular expression, paging), hosts, overview and
// settings pages; log out.  A screenshot of each page is kept.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const { spawnSync } = require('node:child_process');
const { Test, sshFailures } = require('./lib.js');

const ATTACKER = '203.0.113.9';

Test.run('flow', async (t) => {
	// The contact plan's webhook, on loopback.
	const hooks = [];
	const hookSrv = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => { body += c; });
		req.on('end', () => {
			hooks.push(body);
			res.writeHead(200, { 'Content-Type': 'text/plain' });
			res.end('ok');
		});
	});
	await new Promise((r) => hookSrv.listen(0, '127.0.0.1', r));
	const hookPort = hookSrv.address().port;
	try {
		await t.startServer({ config: [
			'respond:',
			'  dry_run: true',
			'notify:',
			'  rate_limit: 1000/h',
			'  contacts:',
			'    - name: csirt',
			'      role: csirt',
			`      webhook: http://127.0.0.1:${hookPort}/hook`,
			'  routes:',
			'    - roles: [csirt]',
			''].join('\n') });
		await flow(t, hooks);
	} finally {
		hookSrv.close();
	}
});

async function flow(t, hooks) {
	t.check('the first start logged the admin password', !!t.adminPassword,
	    t.log().slice(-2000));
	await t.launch();
	const ctx = await t.context();
	const page = await ctx.newPage();

	// Log in: a wrong password is refused with a message.
	await page.goto(`${t.base}/`);
	await page.locator('form.login-form').waitFor();
	t.equal('the login page is the start', new URL(page.url()).hash, '#/login');
	await t.screenshot(page, 'login');
	await page.locator('input[name="user"]').fill('admin');
	await page.locator('input[name="password"]').fill('not-the-password');
	await page.locator('form.login-form button[type="submit"]').click();
	const err = page.locator('.login-msg [role="alert"]');
	await err.waitFor();
	t.contains('wrong password refused', await err.textContent(),
	    'Wrong user name or password');
	await t.login(page, 'admin', t.adminPassword);
	t.equal('after login: the overview', new URL(page.url()).hash, '#/overview');

	// The keyboard: on a fresh page the first Tab reaches "skip to
	// content", which takes the focus to the page; the navigation works
	// with Enter.
	await page.reload();
	await page.locator('svg.chart').first().waitFor();
	await page.keyboard.press('Tab');
	t.equal('skip link first', await page.evaluate(() =>
	    document.activeElement.className), 'skip');
	await page.keyboard.press('Enter');
	t.equal('the page has the focus', await page.evaluate(() =>
	    document.activeElement.id), 'main');
	await page.locator('nav a[data-route="hosts"]').focus();
	await page.keyboard.press('Enter');
	await page.locator('nav a[data-route="hosts"][aria-current="page"]').waitFor();
	t.equal('the new page\'s heading has the focus', await page.evaluate(() =>
	    document.activeElement.tagName), 'H1');
	await t.pageIsClean(page, 'login');

	// The board is empty; the attack arrives while it is open.
	await page.locator('nav a[data-route="incidents"]').click();
	await page.locator('.board').waitFor();
	t.equal('no incident yet', await page.locator('.inc-card').count(), 0);
	await page.locator('.live[data-state="live"]').waitFor();
	await page.evaluate(() => { window.__sameDocument = true; });
	t.sendLogs(sshFailures(10, 'root', ATTACKER), 'sshd');
	const card = page.locator('.inc-card', { hasText: ATTACKER }).first();
	await card.waitFor();
	t.equal('the incident appeared without a reload',
	    await page.evaluate(() => window.__sameDocument), true);
	t.equal('it is new', await card.evaluate((el) =>
	    el.closest('.board-col').classList.contains('col-new')), true);
	await t.pageIsClean(page, 'incident board');
	await t.screenshot(page, 'incidents');

	// Open it.
	await card.locator('a.inc-link').click();
	await page.locator('ol.steps').waitFor();
	const id = Number((page.url().match(/#\/incidents\/(\d+)$/) || [])[1]);
	t.check('the incident page has an id', Number.isSafeInteger(id) && id > 0, page.url());
	t.contains('the title names the attacker', await page.locator('.inc-head h1').textContent(),
	    ATTACKER);
	const logRows = page.locator('table.data', { hasText: 'Failed password for root' });
	await logRows.first().waitFor();
	let inc = await t.apiGet(page, `/incidents/${id}`);
	t.check('the incident has a playbook', Array.isArray(inc.steps) && inc.steps.length > 0);

	// Tick the first step.
	await page.locator('ol.steps input[type="checkbox"]').first().click();
	await page.locator('ol.steps li.step-done').first().waitFor();
	inc = await t.apiGet(page, `/incidents/${id}`);
	t.equal('step 1 is done', inc.steps[0].state, 'done');
	t.equal('step 1 done by admin', inc.steps[0].who, 'admin');
	t.equal('the box stays ticked', await page.locator('ol.steps input[type="checkbox"]')
	    .first().isChecked(), true);

	// Change the status.
	const statusForm = page.locator('form[data-action="status"]');
	await statusForm.locator('select[name="status"]').selectOption('triage');
	await statusForm.locator('input[name="note"]').fill('looking at it');
	// Someone else's change arrives live before this one is sent: the
	// page is drawn again, and the choice not yet sent stays.
	const sess = await t.apiGet(page, '/session');
	const elsewhere = await page.request.post(`${t.base}/api/v1/incidents/${id}/notes`, {
		headers: { 'X-CSRF-Token': sess.csrf }, data: { text: 'a note from elsewhere' } });
	t.equal('a note from elsewhere', elsewhere.status(), 200);
	await page.locator('ol.timeline', { hasText: 'a note from elsewhere' }).waitFor();
	t.equal('a live update keeps the choice not yet sent',
	    await statusForm.locator('select[name="status"]').inputValue(), 'triage');
	await statusForm.locator('button[type="submit"]').click();
	await page.locator('.inc-head .badge.st-triage').waitFor();
	inc = await t.apiGet(page, `/incidents/${id}`);
	t.equal('status is triage', inc.status, 'triage');

	// A note.
	const note = 'Called the owner of web1; no successful login seen.';
	const noteForm = page.locator('form[data-action="note"]');
	await noteForm.locator('textarea').fill(note);
	await noteForm.locator('button[type="submit"]').click();
	await page.locator('ol.timeline', { hasText: note }).waitFor();

	// Take it.
	await page.locator('form[data-action="assign"] button[type="button"]').click();
	await page.locator('.inc-head .badge.who', { hasText: 'admin' }).waitFor();
	inc = await t.apiGet(page, `/incidents/${id}`);
	t.equal('assigned to admin', inc.assignee, 'admin');

	// Notify the contact plan: our own <dialog> asks first.
	const hooksBefore = hooks.length;
	await page.locator('[data-action="notify"] button').click();
	const dlg = page.locator('dialog[open]');
	await dlg.waitFor();
	await dlg.locator('button[value="ok"]').click();
	await t.until('the webhook was called', () => hooks.length > hooksBefore &&
	    hooks.slice(hooksBefore).some((b) => b.includes(ATTACKER)));

	// Block the attacker (a dry run: nothing reaches the firewall) and
	// unblock again.
	const blockForm = page.locator('form[data-action="block"]');
	t.equal('the block form offers the attacker',
	    await blockForm.locator('input[name="address"]').inputValue(), ATTACKER);
	await blockForm.locator('select[name="duration"]').selectOption('1h');
	await blockForm.locator('input[name="reason"]').fill('password guessing');
	await blockForm.locator('button[type="submit"]').click();
	await page.locator('dialog[open] button[value="ok"]').click();
	const blockRow = page.locator('.blocks li', { hasText: ATTACKER });
	await blockRow.waitFor();
	let blocks = await t.apiGet(page, '/blocks');
	t.check('the block is recorded', (blocks.blocks || []).some((b) => b.addr === ATTACKER),
	    JSON.stringify(blocks));
	await blockRow.locator('button').click();
	await page.locator('dialog[open] button[value="ok"]').click();
	await blockRow.waitFor({ state: 'detached' });
	blocks = await t.apiGet(page, '/blocks');
	t.check('the block is gone', !(blocks.blocks || []).some((b) => b.addr === ATTACKER),
	    JSON.stringify(blocks));
	inc = await t.apiGet(page, `/incidents/${id}`);
	const kinds = new Set((inc.timeline || []).map((e) => e.kind));
	for (const k of ['step', 'status', 'note', 'assignee', 'block', 'unblock'])
		t.check(`the timeline records ${k}`, kinds.has(k), [...kinds].join(' '));
	await page.locator('.tl-block').first().waitFor();

	// Exports: downloads of the documents.
	const iodef = await download(page, 'iodef');
	t.contains('IODEF is XML', iodef.slice(0, 100), '<?xml');
	t.contains('IODEF document', iodef, 'IODEF-Document');
	t.contains('IODEF names the attacker', iodef, ATTACKER);
	const xml = spawnSync('xmllint', ['--noout', '-'], { input: iodef });
	t.equal('IODEF is well-formed', xml.status, 0);
	const md = await download(page, 'md');
	t.contains('Markdown is the incident', md, `# Incident ${id}:`);
	t.contains('Markdown names the attacker', md, ATTACKER);
	const js = JSON.parse(await download(page, 'json'));
	t.equal('JSON export is the incident', js.id, id);
	await t.pageIsClean(page, 'incident page');
	await t.screenshot(page, 'incident');

	// Alerts: a new one comes in live; grouping; search.
	await page.locator('nav a[data-route="alerts"]').click();
	await page.locator('table.data tbody tr[data-id]').first().waitFor();
	t.check('alerts of the attack', await page.locator('table.data tbody tr',
	    { hasText: ATTACKER }).count() > 0);
	const other = '198.51.100.20';
	t.sendLogs(sshFailures(1, 'oracle', other, 50000), 'sshd');
	const fresh = page.locator('table.data tbody tr.fresh', { hasText: other });
	await fresh.waitFor();
	await t.screenshot(page, 'alerts');
	const filters = page.locator('form.filters');
	await filters.locator('select[name="group"]').selectOption('srcip');
	await filters.locator('button[type="submit"]').click();
	const group = page.locator('table.data tbody tr', { hasText: ATTACKER });
	await group.waitFor();
	t.contains('the route holds the grouping', page.url(), 'group=srcip');
	await t.screenshot(page, 'alerts-grouped');
	await group.locator('button').click();
	await page.locator('table.data tbody tr[data-id]').first().waitFor();
	const srcs = await page.locator('table.data tbody tr[data-id] td:nth-child(6)')
	    .allTextContents();
	t.check('showing one source\'s alerts', srcs.length > 0 &&
	    srcs.every((s) => s.trim() === ATTACKER), srcs.join(','));
	await page.goto(`${t.base}/#/alerts`);
	await page.locator('input[name="q"]').fill(other);
	await page.locator('form.filters button[type="submit"]').click();
	await t.until('the search finds only the other source', async () => {
		const rows = await page.locator('table.data tbody tr[data-id]').allTextContents();
		return rows.length > 0 && rows.every((r) => r.includes(other));
	});
	await t.pageIsClean(page, 'alerts');

	// Logs: filters, a regular expression, paging.
	const paging = [];
	for (let i = 0; i < 55; i++)
		paging.push(`paging line ${i}`);
	t.sendLogs(paging, 'pagetest');
	await page.locator('nav a[data-route="logs"]').click();
	await page.locator('table.data tbody tr').first().waitFor();
	await t.until('the logs show the attack', async () => {
		await page.locator('form.filters button[type="submit"]').click();
		await page.locator('table.data').waitFor();
		return (await page.locator('table.data tbody tr', { hasText: 'pagetest' }).count()) > 0;
	});
	t.check('the attack\'s lines are there', await page.locator('table.data tbody tr',
	    { hasText: `Failed password for root from ${ATTACKER}` }).count() > 0);
	await t.screenshot(page, 'logs');
	const lf = page.locator('form.filters');
	await lf.locator('input[name="app"]').fill('pagetest');
	await lf.locator('select[name="limit"]').selectOption('50');
	await lf.locator('button[type="submit"]').click();
	await t.until('a page of 50', async () =>
	    (await page.locator('table.data tbody tr').count()) === 50);
	const older = page.locator('.more button');
	t.equal('there are older lines', await older.isVisible(), true);
	await older.click();
	await t.until('all 55 after paging', async () =>
	    (await page.locator('table.data tbody tr').count()) === 55);
	t.equal('no more pages', await older.isVisible(), false);
	await lf.locator('input[name="app"]').fill('sshd');
	await lf.locator('input[name="q"]').fill('port 4000[0-4] ssh2$');
	await lf.locator('input[name="regex"]').check();
	await lf.locator('button[type="submit"]').click();
	await t.until('the regular expression matches 5 lines', async () =>
	    (await page.locator('table.data tbody tr').count()) === 5 &&
	    (await page.locator('table.data tbody tr', { hasText: 'port 4000' }).count()) === 5);
	await page.locator('table.data details.rec summary').first().click();
	await page.locator('table.data details.rec[open] pre.raw').first().waitFor();
	await t.pageIsClean(page, 'logs');

	// Hosts.
	await page.locator('nav a[data-route="hosts"]').click();
	await page.locator('table.data tbody tr').first().waitFor();
	t.check('a host is listed', await page.locator('table.data').first()
	    .locator('tbody tr:not(.empty)').count() > 0);
	await t.pageIsClean(page, 'hosts');
	await t.screenshot(page, 'hosts');

	// Overview.
	await page.locator('nav a[data-route="overview"]').click();
	await page.locator('svg.chart').nth(1).waitFor();
	await page.locator('.tiles .tile').first().waitFor();
	t.check('open incidents by category', await page.locator('ul.bars li').count() > 0);
	t.check('the events chart has a line', await page.locator('svg.chart path.line').count() === 1);
	await t.pageIsClean(page, 'overview');
	await t.screenshot(page, 'overview');

	// Settings.
	await page.locator('nav a[data-route="settings"]').click();
	await page.locator('[data-card="contacts"] table.data', { hasText: 'csirt' }).waitFor();
	await page.locator('[data-card="rules"] .tile-value').first().waitFor();
	t.check('rules are loaded', Number((await page.locator('[data-card="rules"] .tile-value')
	    .first().textContent()).replace(/\D/g, '')) > 0);
	await t.pageIsClean(page, 'settings');
	await t.screenshot(page, 'settings');

	// Log out: the session is gone, the console is back at the login.
	await page.locator('button.logout').click();
	await page.locator('form.login-form').waitFor();
	const r = await page.request.get(`${t.base}/api/v1/session`);
	t.equal('logged out', r.status(), 401);
	await page.goto(`${t.base}/#/incidents/${id}`);
	await page.locator('form.login-form').waitFor();
	t.equal('a page needs a login', new URL(page.url()).hash, '#/login');
	await t.pageIsClean(page, 'after logout');
}

// Clicks an export link and returns the downloaded document.
async function download(page, format) {
	const [dl] = await Promise.all([
		page.waitForEvent('download'),
		page.locator(`a[data-format="${format}"]`).click(),
	]);
	return fs.readFileSync(await dl.path(), 'utf8');
}
