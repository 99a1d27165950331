// lib.js - shared by the browser tests: a scratch directory, free ports,
// the real `mamori server` with its console on loopback, syslog lines
// sent with logger(1), Debian's chromium driven by playwright-core, the
// checks every page must pass (no script of an attacker ran, no dialog,
// no Content-Security-Policy violation, no script error), assertions,
// and screenshots kept as test output.
//
// The environment comes from CTest (tests/CMakeLists.txt): MAMORI (the
// binary), MAMORI_SRC (the repository), MAMORI_TOOLS (build/tools, where
// scripts/install-browser.sh put playwright-core), MAMORI_TEST_OUTPUT
// (where screenshots go); MAMORI_CHROMIUM may name another chromium.
// KEEP=1 keeps the scratch directory.
//
// Copyright (c) the mamori authors.  SPDX-License-Identifier: BSD-2-Clause
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const MAMORI = process.env.MAMORI;
const SRC = process.env.MAMORI_SRC || path.resolve(__dirname, '..', '..');
const TOOLS = process.env.MAMORI_TOOLS || path.join(SRC, 'build', 'tools');
const CHROMIUM = process.env.MAMORI_CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.MAMORI_TEST_OUTPUT ||
    path.join(process.cwd(), 'test-output');
// Generous bounds for things to happen; never a reason for a test to
// pass.  Sanitizer builds run several times slower.
const SLOW = process.env.MAMORI_SANITIZED === '1' ? 4 : 1;
const WAIT_MS = 30000 * SLOW;

// The XSS payloads of the issue: if either ever runs, window.__xss is set.
const XSS_SCRIPT = '<script>window.__xss=1</script>';
const XSS_IMG = '<img src=x onerror="window.__xss=1">';

function die(msg) {
	console.error(`FAIL: ${msg}`);
	process.exit(1);
}

function loadPlaywright() {
	const dir = path.join(TOOLS, 'browser', 'node_modules', 'playwright-core');
	if (!fs.existsSync(path.join(dir, 'package.json')))
		die(`playwright-core is not installed in ${dir}: run scripts/install-browser.sh (make test-deps does)`);
	return require(dir);
}

class Test {
	constructor(name) {
		if (!MAMORI)
			die('MAMORI must name the mamori binary');
		if (!fs.existsSync(CHROMIUM))
			die(`no chromium at ${CHROMIUM}: scripts/install-deps.sh --test installs it`);
		this.name = name;
		this.passes = 0;
		this.fails = 0;
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-bt.'));
		// The server drops root to user mamori, which must reach the data.
		fs.chmodSync(this.dir, 0o755);
		this.data = path.join(this.dir, 'data');
		this.server = null;
		this.serverLog = path.join(this.dir, 'server.log');
		this.browser = null;
		this.problems = [];	// page errors, dialogs, CSP violations
		this.shotDir = path.join(OUT, 'screenshots');
		fs.mkdirSync(this.shotDir, { recursive: true });
		this.shots = [];
		this.pages = [];
		const stop = () => {
			this.cleanup().finally(() => process.exit(1));
		};
		process.on('SIGINT', stop);
		process.on('SIGTERM', stop);
	}

	// check(description, ok, detail): one assertion.
	check(desc, ok, detail) {
		if (ok) {
			this.passes += 1;
		} else {
			this.fails += 1;
			console.error(`FAIL: ${desc}${detail !== undefined ? `: ${detail}` : ''}`);
		}
		return ok;
	}

	equal(desc, got, want) {
		return this.check(desc, got === want,
		    `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
	}

	contains(desc, hay, needle) {
		return this.check(desc, String(hay).includes(needle),
		    `${JSON.stringify(needle)} not in ${JSON.stringify(String(hay).slice(0, 400))}`);
	}

	// A free TCP port on loopback (bound and released).
	freePort() {
		return new Promise((resolve, reject) => {
			const s = net.createServer();
			s.once('error', reject);
			s.listen(0, '127.0.0.1', () => {
				const { port } = s.address();
				s.close(() => resolve(port));
			});
		});
	}

	// Starts `mamori server` with a syslog listener (TCP) and the console
	// (HTTP) on loopback; resolves when the console answers.  opts.demo:
	// replay the bundled scenario; opts.config: text of a configuration
	// file.  The first start creates the user admin and logs its password,
	// which is kept in this.adminPassword.
	async startServer(opts = {}) {
		this.syslogPort = await this.freePort();
		this.httpPort = await this.freePort();
		this.base = `http://127.0.0.1:${this.httpPort}`;
		const args = ['server', '--data', this.data,
			'--listen', `tcp://127.0.0.1:${this.syslogPort}`,
			'--listen', `http://127.0.0.1:${this.httpPort}`];
		if (opts.config) {
			const conf = path.join(this.dir, 'mamori.yaml');
			fs.writeFileSync(conf, opts.config);
			args.push('--config', conf);
		}
		if (opts.demo)
			args.push('--demo');
		const log = fs.openSync(this.serverLog, 'a');
		this.server = spawn(MAMORI, args, {
			stdio: ['ignore', log, log],
			env: Object.assign({}, process.env, {
				MAMORI_SEAL_KEY: path.join(this.dir, 'seal.key'),
			}),
		});
		fs.closeSync(log);
		this.serverExit = new Promise((resolve) => {
			this.server.once('exit', (code, sig) => resolve({ code, sig }));
		});
		let exited = null;
		this.serverExit.then((e) => { exited = e; });
		const until = Date.now() + WAIT_MS;
		while (Date.now() < until) {
			if (exited)
				die(`server exited (${JSON.stringify(exited)}):\n${this.log()}`);
			try {
				const r = await fetch(`${this.base}/api/v1/session`);
				if (r.status === 401 || r.status === 200)
					break;
			} catch (e) {
				// not listening yet
			}
			await sleep(100);
		}
		if (Date.now() >= until)
			die(`the console did not answer within ${WAIT_MS / 1000} s:\n${this.log()}`);
		const m = this.log().match(/created user 'admin' with password (\S+)/);
		this.adminPassword = m ? m[1] : null;
		return this;
	}

	log() {
		try {
			return fs.readFileSync(this.serverLog, 'utf8');
		} catch (e) {
			return '';
		}
	}

	async stopServer() {
		if (!this.server)
			return null;
		const srv = this.server;
		this.server = null;
		srv.kill('SIGTERM');
		const e = await this.serverExit;
		return e;
	}

	// Sends syslog lines over TCP with logger(1) as RFC 5424 messages of
	// program tag, one message per line.
	sendLogs(lines, tag = 'sshd') {
		const r = spawnSync('logger', ['-n', '127.0.0.1', '-P', String(this.syslogPort),
			'-T', '--rfc5424', '-t', tag], { input: lines.join('\n') + '\n' });
		if (r.status !== 0)
			die(`logger failed: ${r.stderr}`);
	}

	// Sends raw RFC 5424 messages (octet-counted framing, RFC 6587) where
	// logger cannot set a field (the host name).
	sendRaw(messages) {
		return new Promise((resolve, reject) => {
			const s = net.connect(this.syslogPort, '127.0.0.1', () => {
				for (const m of messages) {
					const b = Buffer.from(m, 'utf8');
					s.write(`${b.length} `);
					s.write(b);
				}
				s.end(resolve);
			});
			s.once('error', reject);
		});
	}

	// `mamori ARGS... --data DIR`: {status, stdout, stderr}.
	mamori(args, input) {
		const r = spawnSync(MAMORI, [...args, '--data', this.data], {
			input, encoding: 'utf8',
			env: Object.assign({}, process.env, {
				MAMORI_SEAL_KEY: path.join(this.dir, 'seal.key'),
			}),
		});
		return { status: r.status, stdout: r.stdout, stderr: r.stderr };
	}

	async launch() {
		const { chromium } = loadPlaywright();
		const args = [];
		if (process.getuid && process.getuid() === 0)
			args.push('--no-sandbox');
		this.browser = await chromium.launch({ executablePath: CHROMIUM, args });
		return this.browser;
	}

	// A browser context with the watchers every test wants.  opts go to
	// browser.newContext (locale, viewport, ...).
	async context(opts = {}) {
		const ctx = await this.browser.newContext(Object.assign({
			locale: 'en-US',
			viewport: { width: 1366, height: 900 },
			acceptDownloads: true,
			timezoneId: 'Asia/Tokyo',
		}, opts));
		ctx.setDefaultTimeout(WAIT_MS);
		// Records CSP violations before any of the page's scripts run.
		await ctx.addInitScript(() => {
			window.__csp = [];
			document.addEventListener('securitypolicyviolation', (e) => {
				window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
			});
		});
		ctx.on('page', (p) => this.watch(p));
		return ctx;
	}

	watch(page) {
		this.pages.push(page);
		page.on('pageerror', (e) => this.problems.push(`script error: ${e.message}`));
		page.on('dialog', (d) => {
			this.problems.push(`dialog (${d.type()}): ${d.message()}`);
			d.dismiss().catch(() => {});
		});
		page.on('console', (m) => {
			// The browser logs every refused request; the console
			// handles these (login page, role, rate limit) itself.
			if (m.type() === 'error' && !/status of 4(01|03|29)\b/.test(m.text()))
				this.problems.push(`console error: ${m.text()}`);
		});
	}

	// Logs in through the login page and waits for the overview.
	async login(page, user, password) {
		await page.goto(`${this.base}/#/login`);
		await page.locator('input[name="user"]').fill(user);
		await page.locator('input[name="password"]').fill(password);
		await page.locator('form.login-form button[type="submit"]').click();
		await page.locator('nav a[aria-current="page"]').waitFor();
	}

	// What every page must be: no attacker's script ran, no dialog, no CSP
	// violation, no script error.
	async pageIsClean(page, where) {
		const st = await page.evaluate(() => ({
			xss: typeof window.__xss,
			csp: window.__csp || [],
			imgs: document.querySelectorAll('img').length,
			scripts: [...document.scripts].map((s) => s.src || 'inline'),
		}));
		this.equal(`${where}: no injected script ran`, st.xss, 'undefined');
		this.equal(`${where}: no CSP violation`, st.csp.join('; '), '');
		this.equal(`${where}: no <img> element`, st.imgs, 0);
		this.check(`${where}: only the console's scripts`,
		    st.scripts.every((s) => s !== 'inline' && s.startsWith(this.base)),
		    st.scripts.join(', '));
		this.equal(`${where}: no dialog, script or console error`,
		    this.problems.join('\n'), '');
		this.problems = [];
	}

	async screenshot(page, name) {
		const file = path.join(this.shotDir, `${this.name}-${name}.png`);
		// From the top: a full-page shot of a scrolled page draws the
		// sticky top bar where the window was.
		await page.evaluate(() => window.scrollTo(0, 0));
		await page.screenshot({ path: file, fullPage: true });
		this.shots.push(file);
	}

	// The API as the page's session sees it (cookie and all).
	async apiGet(page, p) {
		const r = await page.request.get(`${this.base}/api/v1${p}`);
		if (!r.ok())
			throw new Error(`GET ${p}: ${r.status()} ${await r.text()}`);
		return r.json();
	}

	// Polls fn until it returns something truthy (up to the bound).
	async until(desc, fn) {
		const end = Date.now() + WAIT_MS;
		let last;
		while (Date.now() < end) {
			last = await fn();
			if (last)
				return last;
			await sleep(200);
		}
		this.check(desc, false, 'not within the time allowed');
		return last;
	}

	async cleanup() {
		if (this.browser) {
			await this.browser.close().catch(() => {});
			this.browser = null;
		}
		if (this.server) {
			// A clean stop is exit 0: a signal (a sanitizer's abort)
			// or another status is a failure, with the log to say why.
			const e = await this.stopServer();
			this.check('the server stops cleanly', e && e.code === 0,
			    `${JSON.stringify(e)}:\n${this.log().slice(-6000)}`);
		}
		if (this.fails > 0 || process.env.KEEP === '1')
			console.log(`kept ${this.dir} for inspection`);
		else
			fs.rmSync(this.dir, { recursive: true, force: true });
	}

	async finish() {
		await this.cleanup();
		if (this.shots.length > 0)
			console.log(`screenshots: ${this.shotDir}/${this.name}-*.png`);
		console.log(`${this.passes} passed, ${this.fails} failed`);
		process.exit(this.fails === 0 ? 0 : 1);
	}

	// Runs body(test); an exception is a failure, and the test still
	// cleans up.
	static async run(name, body) {
		const t = new Test(name);
		try {
			await body(t);
		} catch (e) {
			t.check('test ran to the end', false, e && e.stack ? e.stack : e);
			// What the pages showed when it stopped.
			for (const [i, p] of t.pages.entries()) {
				if (!p.isClosed())
					await t.screenshot(p, `failure-${i + 1}`).catch(() => {});
			}
			if (t.problems.length)
				console.error(`page problems:\n${t.problems.join('\n')}`);
			if (t.server)
				console.error(`server log:\n${t.log().slice(-4000)}`);
		}
		await t.finish();
	}
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// n lines of SSH password guessing for user from addr.
function sshFailures(n, user, addr, port0 = 40000) {
	const out = [];
	for (let i = 0; i < n; i++)
		out.push(`Failed password for ${user} from ${addr} port ${port0 + i} ssh2`);
	return out;
}

module.exports = { Test, sleep, sshFailures, XSS_SCRIPT, XSS_IMG, SRC, WAIT_MS };
