// End-to-end tests: a real `dklik demo` server, a real headless Chromium, the axe-core audit.
// Run by scripts/test.sh, which builds the binary and sets DKLIK_BIN and CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.DKLIK_BIN;
const CHROME = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(BIN, 'DKLIK_BIN must name the dklik binary');

let server, browser, base, dir, db;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function waitFor(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.ok) return; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`server did not answer at ${url}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dklik-e2e-'));
  db = `sqlite://${join(dir, 'demo.db')}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['demo', '--listen', `127.0.0.1:${port}`, '--db', db], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(`${base}/healthz`);
  browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  await new Promise(r => setTimeout(r, 300));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function phonePage() {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, javaScriptEnabled: true, bypassCSP: true /* only so that the test can inject axe-core */ });
  const page = await ctx.newPage();
  const outside = [];
  page.on('request', r => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url()); });
  return { ctx, page, outside };
}

async function audit(page) {
  await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
}

async function firstOfferCode() {
  const r = await fetch(`${base}/api/v1/offers`);
  const j = await r.json();
  assert.ok(j.total > 60, `demo has ${j.total} published offers`);
  return j.offers[0].code;
}

test('every public page at 360x640 passes the axe audit, does not scroll sideways, loads nothing from elsewhere', async () => {
  const code = await firstOfferCode();
  const pages = ['/', '/offres', '/offres?q=soudeurs&sans_diplome=1', `/offres/${code}`, '/o', '/o/ZZZZZZ',
    `/offres/${code}/merci`, '/page-qui-n-existe-pas', '/connexion', '/connexion/oubli', '/mon-espace',
    '/confidentialite'];
  for (const path of pages) {
    const { ctx, page, outside } = await phonePage();
    await page.goto(base + path);
    const bad = await audit(page);
    assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], `axe violations on ${path}`);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(sideways, false, `${path} scrolls sideways at 320-360 px`);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.deepEqual(outside, [], `${path} loaded from another host`);
    await ctx.close();
  }
});

test('the offer page carries a schema.org JobPosting', async () => {
  const code = await firstOfferCode();
  const { ctx, page } = await phonePage();
  await page.goto(`${base}/offres/${code}`);
  const ld = JSON.parse(await page.textContent('script[type="application/ld+json"]'));
  assert.equal(ld['@type'], 'JobPosting');
  assert.equal(ld.identifier.value, code);
  assert.ok(ld.hiringOrganization.name.length > 0);
  await ctx.close();
});

test('the interest form refuses bad input, keeps what was typed, then records a good request', async () => {
  const code = await firstOfferCode();
  const { ctx, page } = await phonePage();
  await page.goto(`${base}/o/${code}`);
  assert.match(page.url(), new RegExp(`/offres/${code}\\?src=lien$`));
  await page.fill('#prenom', 'Samia');
  await page.fill('#telephone', '12');
  await page.click('button:has-text("Envoyer ma demande")');
  // Bad input: an error summary at the top whose links lead to the fields, typed values kept.
  await page.waitForSelector('.error-summary');
  const links = await page.$$eval('.error-summary a', as => as.map(a => a.getAttribute('href')));
  assert.ok(links.includes('#telephone'), links.join(','));
  assert.ok(links.includes('#consentement'), links.join(','));
  for (const href of links) assert.ok(await page.$(href), `${href} exists`);
  assert.equal(await page.inputValue('#prenom'), 'Samia');
  assert.equal(await page.inputValue('#telephone'), '12');
  assert.deepEqual((await audit(page)).map(v => v.id), [], 'the page with errors passes axe too');
  // Good input.
  await page.fill('#telephone', '06 12 34 56 78');
  await page.check('#moment-soir');
  await page.check('#consentement');
  await page.click('button:has-text("Envoyer ma demande")');
  await page.waitForURL(`${base}/offres/${code}/merci`);
  assert.match(await page.textContent('h1'), /Merci/);
  await ctx.close();
  // The record exists, with its source.
  const out = execFileSync(BIN, ['interests', '--db', db], { encoding: 'utf8' });
  const records = out.trim().split('\n').filter(Boolean).map(l => JSON.parse(l));
  const mine = records.find(r => r.first_name === 'Samia');
  assert.ok(mine, out);
  assert.equal(mine.phone, '06 12 34 56 78');
  assert.equal(mine.best_time, 'evening');
  assert.equal(mine.channel, 'short_link');
});

test('an unknown short code gives a helpful page, not a bare 404', async () => {
  const { ctx, page } = await phonePage();
  const res = await page.goto(`${base}/o/ABCDEF`);
  assert.equal(res.status(), 404);
  assert.match(await page.textContent('h1'), /ne trouvons pas/);
  assert.ok(await page.$('form.code-form input#code'), 'a form to type the code again');
  await ctx.close();
});

async function signIn(page, email) {
  await page.goto(`${base}/connexion`);
  await page.fill('#email', email);
  await page.fill('#mot_de_passe', 'demo-dklik-2026');
  await page.click('button:has-text("Se connecter")');
}

test('the back office pages pass the axe audit at 360x640, for each role', async () => {
  const visits = [
    ['conseil@dklik.demo', ['/conseil/demandes', '/conseil/demandes?retard=1', '/conseil/demandes/1']],
    ['admin@dklik.demo', ['/admin', '/admin/journal', '/deconnexion']],
    ['rh@dklik.demo', ['/entreprise']],
  ];
  for (const [email, paths] of visits) {
    const { ctx, page, outside } = await phonePage();
    await signIn(page, email);
    await page.waitForLoadState();
    assert.ok(!page.url().includes('/connexion'), `${email} is signed in (${page.url()})`);
    for (const path of paths) {
      const res = await page.goto(base + path);
      assert.equal(res.status(), 200, `${email} ${path}`);
      const bad = await audit(page);
      assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], `axe violations on ${path} for ${email}`);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(sideways, false, `${path} scrolls sideways`);
    }
    assert.deepEqual(outside, []);
    await ctx.close();
  }
});

test('an advisor marks a request as contacted from a phone', async () => {
  const { ctx, page } = await phonePage();
  await signIn(page, 'conseil@dklik.demo');
  await page.goto(`${base}/conseil/demandes/1`);
  await page.selectOption('#etat', 'contacted');
  await page.click('button:has-text("Enregistrer l\'état")');
  await page.waitForURL(`${base}/conseil/demandes/1`);
  assert.match(await page.textContent('.details'), /Contactée/);
  await ctx.close();
});
