// End-to-end tests: a real `dklik demo` server, a real headless Chromium, the axe-core audit.
// Run by scripts/test.sh, which builds the binary and sets DKLIK_BIN and CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';
import http from 'node:http';
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.DKLIK_BIN;
const CHROME = process.env.CHROMIUM || '/usr/bin/chromium';
assert.ok(BIN, 'DKLIK_BIN must name the dklik binary');
// The programme's number for texts (a number the regulator keeps for fiction).
const SMS_NUMBER = '06 39 98 00 12';

let server, browser, base, dir, db, feedToken, geocoder;

// A loopback geocoder speaking addok's API (the national address base's geocoder): any search
// finds the Quai de Lorraine in Dunkerque.
const ADDOK = JSON.stringify({
  type: 'FeatureCollection', version: 'draft', attribution: 'BAN', licence: 'ETALAB-2.0', limit: 5,
  features: [{
    type: 'Feature', geometry: { type: 'Point', coordinates: [2.376789, 51.034412] },
    properties: {
      label: '12 Quai de Lorraine 59140 Dunkerque', score: 0.97, housenumber: '12', name: '12 Quai de Lorraine',
      postcode: '59140', citycode: '59183', city: 'Dunkerque', context: '59, Nord, Hauts-de-France',
      type: 'housenumber', street: 'Quai de Lorraine',
    },
  }],
});

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
  geocoder = http.createServer((req, res) => {
    res.writeHead(req.url.startsWith('/search/?') ? 200 : 404, { 'content-type': 'application/json' });
    res.end(ADDOK);
  });
  await new Promise(r => geocoder.listen(0, '127.0.0.1', r));
  const geocoderUrl = `http://127.0.0.1:${geocoder.address().port}`;
  server = spawn(BIN, ['demo', '--listen', `127.0.0.1:${port}`, '--db', db, '--geocoder', geocoderUrl, '--sms-number', SMS_NUMBER], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout.on('data', d => { out += d; });
  await waitFor(`${base}/healthz`);
  const m = out.match(/Flux de positions jeton (dk_[0-9a-f]+)/);
  assert.ok(m, `the demo prints a feed token:\n${out}`);
  feedToken = m[1];
  browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  geocoder?.close();
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
    '/confidentialite', '/orientaklik', '/orientaklik?type=escape_game', '/orientaklik/1', '/agenda', '/ecrans'];
  const agenda = await (await fetch(`${base}/agenda`)).text();
  const event = agenda.match(/\/e\/([A-Z0-9]{6})/)[1];
  pages.push(`/e/${event}`, `/e/${event}/affiche`);
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
    ['conseil@dklik.demo', ['/conseil/demandes', '/conseil/demandes?retard=1', '/conseil/demandes/1',
      '/conseil/personnes', '/conseil/personnes/nouvelle', '/conseil/personnes/1', '/conseil/personnes/1?chercher=soudure',
      '/conseil/personnes/1/modifier', '/conseil/tests', '/conseil/sessions/1', '/conseil/questionnaire',
      '/conseil/orientaklik', '/conseil/orientaklik/seances/1', '/conseil/orientaklik/bilan', '/conseil/agenda',
      '/conseil/personnes/1/emplois', '/conseil/personnes/1/messages', '/pilotage?ventilation=quartier']],
    ['admin@dklik.demo', ['/admin', '/admin/journal', '/admin/ecrans', '/admin/diffusion', '/deconnexion']],
    ['rh@dklik.demo', ['/entreprise', '/entreprise/diffusion', '/entreprise/mises-en-relation']],
    ['mobile@dklik.demo', ['/conseil/personnes', '/conseil/personnes/1', '/equipe-mobile']],
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

async function sendPosition(vehicle, lat, lon, t) {
  const r = await fetch(`${base}/api/v1/positions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${feedToken}` },
    body: JSON.stringify({ vehicle, lat, lon, timestamp: t }),
  });
  const body = await r.text();
  assert.equal(r.status, 200, body);
  return JSON.parse(body);
}

function contrast(fg, bg) {
  const lum = c => {
    const [r, g, b] = c.match(/\d+/g).slice(0, 3).map(Number).map(v => v / 255)
      .map(v => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

test('a screen page at three sizes: big headline, no scroll, 7:1 contrast, a QR that leads to the offer and counts the scan', async () => {
  const now = Math.floor(Date.now() / 1000);
  await sendPosition('bus-e2e', 51.0250, 2.2585, now - 30);
  const res = await sendPosition('bus-e2e', 51.0301, 2.2691, now);
  assert.equal(res.accepted, 1);
  for (const [w, h] of [[1920, 1080], [1920, 540], [1920, 360]]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h } });
    const page = await ctx.newPage();
    await page.goto(`${base}/ecran/bus-e2e`);
    const m = await page.evaluate(() => {
      const slide = [...document.querySelectorAll('.slide')].find(s => !s.hidden);
      const h1 = slide.querySelector('h1');
      const cs = getComputedStyle(h1);
      return {
        font: parseFloat(cs.fontSize), color: cs.color, bg: getComputedStyle(document.body).backgroundColor,
        scrollH: document.documentElement.scrollHeight, scrollW: document.documentElement.scrollWidth,
        url: slide.querySelector('.url')?.textContent, code: slide.querySelector('.code strong')?.textContent,
        texting: slide.querySelector('.code')?.innerText.replace(/\s+/g, ' '),
      };
    });
    assert.ok(m.font >= 0.08 * h, `${w}x${h}: headline ${m.font}px is under 8 % of the height`);
    assert.ok(m.scrollH <= h && m.scrollW <= w, `${w}x${h}: the page scrolls (${m.scrollW}x${m.scrollH})`);
    assert.ok(contrast(m.color, m.bg) >= 7, `${w}x${h}: contrast ${contrast(m.color, m.bg)}`);
    assert.match(m.url, /\/s\/[A-Z0-9]{8}$/);
    assert.match(m.code, /^[A-Z0-9]{6}$/);
    // The programme's number is configured: people without a smartphone text the code.
    assert.equal(m.texting, `Pas de smartphone ? Envoyez ${m.code} au ${SMS_NUMBER}`);
    // Decode the QR from a screenshot, as a phone would.
    const shot = PNG.sync.read(await page.screenshot());
    const qr = jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height);
    assert.ok(qr, `${w}x${h}: the QR code could not be decoded from the screen`);
    assert.ok(qr.data.endsWith(m.url.split('/s/')[1]), `${qr.data} vs ${m.url}`);
    if (h === 1080) {
      const phone = await (await browser.newContext({ viewport: { width: 360, height: 640 } })).newPage();
      const path = new URL(qr.data).pathname;
      await phone.goto(base + path);
      assert.match(phone.url(), /\/offres\/[A-Z0-9]{6}\?src=ecran&imp=/);
      const imp = path.split('/s/')[1];
      assert.equal(await phone.getAttribute('input[name=imp]', 'value'), imp);
      await phone.context().close();
    }
    await ctx.close();
  }
});

// The 40 longest job titles of the ROME release (the full one under CI, from DKLIK_ROME_DIR).
function longestAppellations(n) {
  const dir = process.env.DKLIK_ROME_DIR;
  assert.ok(dir || !process.env.CI, 'DKLIK_ROME_DIR must name the ROME export under CI');
  if (!dir) return ['Conducteur / Conductrice de machine de fabrication de produits textiles non tissés'];
  const text = readFileSync(join(dir, 'unix_referentiel_appellation.csv'), 'utf8');
  const titles = text.split('\n').slice(1).map(line => {
    const m = line.match(/^"[^"]*","((?:[^"]|"")*)"/);
    return m ? m[1].replace(/""/g, '"') : '';
  }).filter(Boolean);
  return [...new Set(titles)].sort((a, b) => b.length - a.length).slice(0, n);
}

test('slides fit every screen shape: no text overflows its box, the QR is big, whole and readable', async () => {
  const titles = longestAppellations(40);
  assert.ok(titles.length >= 1);
  const sizes = [[1920, 1080], [1920, 540], [1920, 360], [1280, 800], [1024, 768], [1080, 1920], [768, 1366]];
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  await signIn(page, 'admin@dklik.demo');
  await page.waitForLoadState();
  const url = `${base}/admin/ecrans/apercu?employeur=${encodeURIComponent('Société de maintenance industrielle du Dunkerquois')}&titres=${encodeURIComponent(titles.join('\n'))}`;
  const problems = [];
  for (const [w, h] of sizes) {
    await page.setViewportSize({ width: w, height: h });
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    const count = await page.evaluate(() => window.dklikScreen.count());
    assert.ok(count >= titles.length + 5, `${w}x${h}: ${count} slides (demo offers and titles)`);
    for (let i = 0; i < count; i++) {
      const found = await page.evaluate(i => {
        window.dklikScreen.show(i);
        const slide = [...document.querySelectorAll('.slide')].find(s => !s.hidden);
        const out = [];
        const title = slide.querySelector('h1').textContent;
        for (const el of slide.querySelectorAll('h1, .kicker, .sub, .url, .code')) {
          if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
            out.push(`${el.className || el.tagName} overflows (${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight})`);
          }
          const r = el.getBoundingClientRect();
          if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) out.push(`${el.className || el.tagName} leaves the screen`);
        }
        const box = slide.querySelector('.text');
        if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) out.push('the text box overflows');
        const h1 = slide.querySelector('h1');
        if (getComputedStyle(h1).textOverflow === 'ellipsis' || getComputedStyle(h1).webkitLineClamp !== 'none') out.push('the title is clamped');
        const qr = slide.querySelector('.qr');
        if (qr) {
          const q = qr.getBoundingClientRect();
          const svg = qr.querySelector('svg').getBoundingClientRect();
          if (q.left < 0 || q.top < 0 || q.right > innerWidth + 0.5 || q.bottom > innerHeight + 0.5) out.push('the QR leaves the screen');
          if (Math.min(svg.width, svg.height) < 0.3 * Math.min(innerWidth, innerHeight)) out.push(`the QR is ${Math.round(svg.width)} px, under 30 % of ${Math.min(innerWidth, innerHeight)}`);
          const t = box.getBoundingClientRect();
          if (t.right > q.left + 0.5 && t.bottom > q.top + 0.5 && t.left < q.right && t.top < q.bottom) out.push('the text covers the QR');
        }
        return out.map(p => `${p}: « ${title} »`);
      }, i);
      for (const f of found) problems.push(`${w}x${h} slide ${i}: ${f}`);
      // Read the QR from the screen as a phone would: the first offer and the longest title.
      if (i === 0 || i === count - titles.length) {
        const shot = PNG.sync.read(await page.screenshot());
        const qr = jsQR(new Uint8ClampedArray(shot.data), shot.width, shot.height);
        if (!qr) problems.push(`${w}x${h} slide ${i}: the QR code cannot be read from the screen`);
      }
    }
  }
  assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems`);
  await ctx.close();
});

test('a screen page takes new slides pushed by the server without reloading', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 540 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/ecran/bus-live`);
  assert.match(await page.textContent('h1'), /Des entreprises recrutent/);
  await page.waitForTimeout(500);
  const now = Math.floor(Date.now() / 1000);
  await sendPosition('bus-live', 51.0301, 2.2691, now);
  await page.waitForSelector('text=On recrute près d\'ici', { timeout: 5000 });
  await ctx.close();
});

test('a screen says it is alive, a service message takes it over at once and ends, old offers give way to the general card, a totem uses its right third', async () => {
  // The admin registers two screens of a vehicle nobody else moves: one on line 11, one that
  // may use only the right third of its page.
  const admin = await phonePage();
  await signIn(admin.page, 'admin@dklik.demo');
  for (const [id, zone] of [['e2e-ecran', ''], ['e2e-totem', 'tiers-droit']]) {
    await admin.page.goto(`${base}/admin/ecrans`);
    await admin.page.fill('#ecran', id);
    await admin.page.fill('#vehicule', 'bus-e2e');
    await admin.page.fill('#ligne', '11');
    await admin.page.selectOption('#zone', zone);
    await admin.page.click('button:has-text("Enregistrer l\'écran")');
    await admin.page.waitForLoadState();
    assert.match(await admin.page.textContent('[role=status]'), /enregistré/);
  }
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const beats = [];
  page.on('request', r => { if (r.url().endsWith('/e2e-ecran/signal')) beats.push(r.postDataJSON()); });
  await page.clock.install();
  await page.goto(`${base}/ecran/e2e-ecran`);
  await page.waitForTimeout(300);
  await sendPosition('bus-e2e', 51.0301, 2.2691, Math.floor(Date.now() / 1000));
  await page.waitForSelector('text=On recrute près d\'ici', { timeout: 5000 });
  // A heartbeat 2 s after loading, then every 30 s, with the slides shown since.
  await page.clock.runFor(32_000);
  for (let i = 0; i < 30 && beats.length < 2; i++) await page.waitForTimeout(100);
  assert.ok(beats.length >= 2, `heartbeats sent: ${JSON.stringify(beats)}`);
  const played = beats.flatMap(b => Object.values(b.plays)).reduce((a, b) => a + b, 0);
  assert.ok(played >= 3, `slides counted: ${JSON.stringify(beats)}`);
  assert.ok(beats.every(b => /^[A-Z0-9]{8}$|^general$/.test(b.slide)), JSON.stringify(beats));
  // The admins see it alive, with its slides of today; the page passes axe on a phone.
  await admin.page.goto(`${base}/admin/ecrans`);
  const row = await admin.page.textContent('tr:has-text("e2e-ecran")');
  assert.doesNotMatch(row, /jamais/);
  assert.match(row, /Normal/);
  assert.deepEqual((await audit(admin.page)).map(v => v.id), []);
  assert.equal(await admin.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), false);
  // A service message on line 11: on the screen at once, without reloading; stopped from the
  // admins' page, it leaves at once too.
  const say = async (text, minutes) => {
    await admin.page.goto(`${base}/admin/ecrans`);
    await admin.page.fill('#texte', text);
    await admin.page.selectOption('#portee', 'line');
    await admin.page.fill('#cible', '11');
    await admin.page.fill('#duree', String(minutes));
    await admin.page.click('button:has-text("Afficher maintenant")');
    await admin.page.waitForLoadState();
  };
  await say('Ligne 11 déviée : arrêt Mardyck Usine reporté rue du Port, jusqu\'à 18 h', 30);
  await page.waitForSelector('#takeover >> text=Ligne 11 déviée', { timeout: 5000 });
  assert.equal(await page.isHidden('#slides'), true);
  const fits = await page.evaluate(() => {
    const t = document.querySelector('#takeover .text');
    return t.scrollWidth <= t.clientWidth + 1 && t.scrollHeight <= t.clientHeight + 1;
  });
  assert.ok(fits, 'the message fits its box');
  await admin.page.goto(`${base}/admin/ecrans`);
  await admin.page.click('button:has-text("Arrêter ce message")');
  await page.waitForSelector('#slides:not([hidden])', { timeout: 5000 });
  // Another for one minute ends by itself on the screen, even without the server.
  await say('Arrêt Gare fermé pendant une minute', 1);
  await page.waitForSelector('#takeover >> text=Arrêt Gare fermé', { timeout: 5000 });
  await page.route('**/*', r => r.abort());
  await page.clock.runFor(61_000);
  assert.equal(await page.isHidden('#slides'), false);
  assert.equal((await page.textContent('#takeover')).trim(), '');
  assert.match(await page.textContent('#slides .slide:not([hidden])'), /On recrute près d'ici/);
  // Still no server two hours later: the offers are past their time-to-live, the general
  // card (kept in the page) shows instead.
  await page.clock.runFor(2 * 3600 * 1000);
  assert.match(await page.textContent('#slides .slide:not([hidden]) h1'), /Des entreprises recrutent/);
  const codes = await page.$$eval('#slides .slide', s => s.map(x => x.getAttribute('data-impression')));
  assert.deepEqual(codes, ['general']);
  await page.unroute('**/*');
  await admin.page.goto(`${base}/admin/ecrans`);
  await admin.page.click('button:has-text("Arrêter ce message")');
  await admin.ctx.close();
  await ctx.close();
  // The totem: the slides in its right third, the rest of the page transparent.
  const totem = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const tp = await totem.newPage();
  await tp.goto(`${base}/ecran/e2e-totem`);
  const box = await (await tp.$('iframe')).boundingBox();
  assert.ok(Math.abs(box.x - 1280) <= 1 && Math.abs(box.width - 640) <= 1 && box.height === 1080, JSON.stringify(box));
  assert.equal(await tp.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgba(0, 0, 0, 0)');
  const frame = tp.frames().find(f => f.url().includes('zone=plein'));
  await frame.waitForSelector('.slide:not([hidden]) h1');
  const inside = await frame.evaluate(() => {
    const s = document.querySelector('.slide:not([hidden])');
    const t = s.querySelector('.text');
    const q = s.querySelector('.qr');
    const r = q ? q.getBoundingClientRect() : { right: 0, bottom: 0 };
    return { fits: t.scrollWidth <= t.clientWidth + 1 && t.scrollHeight <= t.clientHeight + 1,
      qrInside: r.right <= window.innerWidth + 1 && r.bottom <= window.innerHeight + 1, w: window.innerWidth };
  });
  assert.deepEqual(inside, { fits: true, qrInside: true, w: 640 });
  await totem.close();
});

test('the skills questionnaire works on a phone without JavaScript, one question per screen, and passes the axe audit', async () => {
  // The pages carry no script at all: they work the same with JavaScript off. (JavaScript
  // stays on in this browser only so that the test can inject axe-core.)
  const { ctx, page, outside } = await phonePage();
  await page.goto(base + '/questionnaire');
  assert.equal(await page.locator('script').count(), 0, 'no script on the questionnaire');
  let bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the first page');
  await page.click('button:has-text("Commencer")');
  // Sending without a choice asks again, with the error linked to the answers.
  await page.click('button:has-text("Suivant")');
  assert.match(await page.textContent('.error-summary'), /Choisissez une réponse/);
  bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on a question with its error');
  let questions = 0;
  for (;;) {
    const progress = await page.textContent('.progress');
    assert.match(progress, /Question \d+ sur 12/);
    assert.equal(await page.locator('fieldset').count(), 1, 'one question per screen');
    if (questions === 0) {
      const q = await audit(page);
      assert.deepEqual(q.map(v => `${v.id}: ${v.help}`), [], 'axe violations on a question');
    }
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(sideways, false, 'a question scrolls sideways');
    await page.locator('input[name="reponse"]').first().check();
    questions += 1;
    const last = (await page.locator('button:has-text("Voir mes qualités")').count()) > 0;
    await page.click('button[type="submit"]');
    if (last) break;
  }
  assert.equal(questions, 12);
  assert.match(page.url(), /\/questionnaire\/resultat\/[0-9a-f]{32}$/);
  const card = await page.textContent('.skills-card');
  assert.match(card, /Vous entraînez une équipe → Faire preuve de leadership/);
  assert.ok((await page.locator('.ideas li').count()) >= 1, 'job ideas are listed');
  bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the skills card');
  // On paper, only the card: the forms and the site's header are hidden.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').isVisible(), false);
  assert.equal(await page.locator('.skills-card').isVisible(), true);
  await page.emulateMedia({ media: 'screen' });
  // Sent to an advisor, with consent.
  await page.fill('#prenom', 'Samia');
  await page.fill('#telephone', '06 12 34 56 78');
  await page.check('#consentement');
  await page.click('button:has-text("Envoyer")');
  assert.match(await page.textContent('[role="status"]'), /est envoyé/);
  assert.deepEqual(outside, []);
  await ctx.close();
});

test('the mobile team records a contact on a phone with no network: kept, sent when back, counted once', async () => {
  const { ctx, page, outside } = await phonePage();
  await signIn(page, 'mobile@dklik.demo');
  await page.goto(base + '/equipe-mobile');
  let bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the outreach form');
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(sideways, false, 'the form scrolls sideways');
  const before = await page.locator('#dernieres li').count();
  await ctx.setOffline(true);
  await page.check('#lt-neighbourhood');
  await page.fill('#lieu', 'Europe (démo)');
  await page.selectOption('#canal', 'rue');
  await page.check('#b-emploi');
  await page.selectOption('#suite', 'rappel');
  await page.fill('#nombre', '3');
  await page.click('button:has-text("Enregistrer")');
  await page.waitForFunction(() => /gardée\(s\) sur le téléphone/.test(document.getElementById('etat-envoi').textContent));
  assert.equal(await page.inputValue('#nombre'), '', 'ready for the next contact');
  assert.equal(await page.inputValue('#lieu'), 'Europe (démo)', 'the place stays for the next contact');
  await ctx.setOffline(false);
  await page.waitForFunction(() => /Tout est envoyé/.test(document.getElementById('etat-envoi').textContent), null, { timeout: 20000 });
  await page.reload();
  const items = await page.locator('#dernieres li').allTextContents();
  const mine = items.filter(t => t.includes('Europe (démo)') && t.includes('3 personne(s)'));
  assert.equal(mine.length, 1, `counted once: ${items.join(' | ')}`);
  assert.ok(items.length >= 1 && (before === 1 || items.length >= before));
  bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations after sending');
  assert.deepEqual(outside, []);
  await ctx.close();
});

test('the programme lead reads the dashboard on a phone: charts with their tables, filters, exports, axe audit', async () => {
  const { ctx, page, outside } = await phonePage();
  await signIn(page, 'admin@dklik.demo');
  await page.waitForLoadState();
  const res = await page.goto(`${base}/pilotage`);
  assert.equal(res.status(), 200);
  for (const id of ['graphe-entonnoir', 'graphe-ventilation', 'graphe-portee', 'graphe-orientation']) {
    const svg = page.locator(`svg#${id}`);
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.ok((await page.locator(`svg#${id} title`).textContent()).length > 5, `${id} has a title`);
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 200 && box.width <= 360, `${id} fits the phone (${box && box.width})`);
  }
  // The demo history shows hires; the funnel table says how many.
  const hires = Number(await page.locator('th[scope=row]:text-is("Embauches") + td').first().textContent());
  assert.ok(hires > 0, 'hires in the demo history');
  let bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on /pilotage');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), false, 'no sideways scroll');
  // Filter on the bus screens, broken down by line.
  await page.selectOption('#canal', 'ecran');
  await page.selectOption('#ventilation', 'ligne');
  await page.click('button:has-text("Afficher")');
  await page.waitForLoadState();
  assert.ok(page.url().includes('canal=ecran') && page.url().includes('ventilation=ligne'), page.url());
  assert.ok(await page.locator('caption:has-text("Entonnoir par ligne de bus")').count() > 0);
  bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the filtered dashboard');
  // An export link gives a CSV whose header repeats the filter.
  const href = await page.locator('a:text-is("entonnoir-ligne.csv")').getAttribute('href');
  const csv = await page.request.get(base + href);
  assert.equal(csv.status(), 200);
  const text = await csv.text();
  assert.match(text, /# canal du premier contact: Écran de bus \(ecran\)/);
  // A bad date is explained in French, next to the field.
  await page.fill('#du', '31/02/2026');
  await page.click('button:has-text("Afficher")');
  await page.waitForLoadState();
  assert.match(await page.content(), /n(’|'|&#39;)est pas une date/);
  bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations with an error shown');
  assert.deepEqual(outside, []);
  await ctx.close();
});

// The latest e-mail sent to `to` (the demo writes them to a folder), its text decoded; waits
// for the server's outbox, which sends every 10 seconds.
async function mailTo(to, holding, ms = 40000) {
  const folder = join(dir, 'mails');
  const end = Date.now() + ms;
  while (Date.now() < end) {
    let names = [];
    try { names = readdirSync(folder).sort().reverse(); } catch { /* not made yet */ }
    for (const name of names) {
      const raw = readFileSync(join(folder, name), 'utf8');
      const [head, body = ''] = raw.split('\r\n\r\n');
      if (!head.includes(`To: ${to}`)) continue;
      const text = Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8');
      if (holding.test(text)) return text;
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`no e-mail to ${to} holding ${holding}`);
}

// The screen of a bus that has just come near Place Jean Bart (the stop beside the e2e's
// employer site), as its HTML; a new bus each time, so that no showing cap applies.
let busTurn = 0;
async function screenNearJeanBart() {
  const vehicle = `bus-e2e-jean-bart-${++busTurn}`;
  const now = Math.floor(Date.now() / 1000);
  await sendPosition(vehicle, 51.0346, 2.3870, now - 40);
  await sendPosition(vehicle, 51.0344, 2.3775, now);
  return (await fetch(`${base}/ecran/${vehicle}`)).text();
}

test('an advisor puts a new employer and its offer online from a phone and a laptop, invites its contact who publishes and later closes an offer, axe on every state', async () => {
  for (const [width, height, n] of [[360, 640, 1], [1366, 768, 2]]) {
    const ctx = await browser.newContext({ viewport: { width, height }, bypassCSP: true /* only to inject axe-core */ });
    const page = await ctx.newPage();
    const check = async (what, p = page) => {
      const bad = await audit(p);
      assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], `axe violations: ${what} at ${width}px`);
      const sideways = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      assert.equal(sideways, false, `${what} scrolls sideways at ${width}px`);
    };
    await signIn(page, 'conseil@dklik.demo');
    await page.waitForLoadState();
    await page.goto(`${base}/conseil/entreprises`);
    await check('the list of employers');
    await page.click('a:has-text("Ajouter une entreprise")');
    await page.fill('#nom', `Chaudronnerie des Dunes ${n}`);
    await page.fill('#siret', '732 829 320 00075');
    await page.click('button:has-text("Ajouter l\'entreprise")');
    assert.match(await page.textContent('.error-summary'), /clé ne correspond pas/);
    assert.equal(await page.inputValue('#nom'), `Chaudronnerie des Dunes ${n}`, 'what was typed is kept');
    await check('the employer form with errors');
    // Two employers cannot share a SIRET: the second run uses La Poste's rule instead.
    await page.fill('#siret', n === 1 ? '732 829 320 00074' : '356 000 000 12346');
    await page.fill('#contact', 'Claire Martin');
    await page.click('button:has-text("Ajouter l\'entreprise")');
    await page.waitForURL(/\/conseil\/entreprises\/\d+\?ok=cree/);
    const employerUrl = page.url().split('?')[0];
    await check('a new employer');
    await page.fill('#nom', 'Atelier du port');
    await page.fill('#adresse', 'Quai de Lorraine');
    await page.fill('#commune', 'Dunkerque');
    await page.fill('#insee', '59183');
    await page.click('button:has-text("Ajouter le site")');
    assert.match(await page.textContent('.error-summary'), /Placez le site/);
    await check('a site without coordinates');
    // The address found by the geocoder fills the form.
    await page.fill('#adresse_cherchee', 'quai de lorraine dunkerque');
    await page.click('button:has-text("Chercher l\'adresse")');
    await check('the addresses found');
    await page.click('ul.found a:has-text("12 Quai de Lorraine")');
    assert.equal(await page.inputValue('#insee'), '59183');
    assert.match(await page.inputValue('#latitude'), /^51\.0344/);
    await page.fill('#nom', 'Atelier du port');
    await page.click('button:has-text("Ajouter le site")');
    await page.waitForURL(/ok=site/);
    await page.click('a:has-text("Nouvelle offre")');
    await page.fill('#code_rome', 'chaudronnier');
    await page.click('button:has-text("Chercher")');
    await check('the trade search');
    await page.click('ul.found a >> nth=0');
    await page.fill('#intitule', 'Chaudronnier / Chaudronnière en tuyauterie industrielle, équipe de nuit');
    await page.check('#j1-0');
    await page.check('#j1-1');
    await page.fill('#debut1', '21:00');
    await page.fill('#fin1', '05:00');
    await page.click('button:has-text("Enregistrer le brouillon")');
    assert.match(await page.textContent('.error-summary'), /contrat/i);
    await check('the offer form with errors');
    await page.selectOption('#contrat', 'cdi');
    await page.click('button:has-text("Enregistrer le brouillon")');
    await page.waitForURL(/\/conseil\/offres\/[A-Z0-9]{6}\/competences/);
    const code = page.url().match(/offres\/([A-Z0-9]{6})\//)[1];
    await check('the needs of the new offer');
    await page.click('ul.found button >> nth=0');
    await page.waitForLoadState();
    await page.goto(`${base}/conseil/entreprises`);
    await page.click(`a:has-text("Chaudronnerie des Dunes ${n}")`);
    await page.click('button:has-text("Publier")');
    await page.waitForURL(/ok=etat/);
    await check('the employer with a published offer');
    const pub = await page.goto(`${base}/offres/${code}`);
    assert.equal(pub.status(), 200);
    assert.match(await page.textContent('h1'), /Chaudronnier/);

    // The advisor invites the employer's contact; the link comes by e-mail.
    const contact = `claire.${n}.${Date.now()}@dunes.example`;
    await page.goto(employerUrl);
    await page.fill('#invite_nom', 'Claire Martin');
    await page.fill('#invite_email', contact);
    await page.click('button:has-text("Envoyer l\'invitation")');
    await page.waitForURL(/ok=invitation/);
    await check('an invitation sent');
    const invitation = (await mailTo(contact, /\/invitation\/[0-9a-f]{64}/)).match(/https?:\/\/\S+\/invitation\/[0-9a-f]{64}/)[0];
    // The contact, on their own device: a password, then their own offer.
    const ectx = await browser.newContext({ viewport: { width, height }, bypassCSP: true /* only to inject axe-core */ });
    const ep = await ectx.newPage();
    await ep.goto(invitation);
    await check('the invitation', ep);
    await ep.fill('#mot_de_passe', 'une phrase de passe pour les offres');
    await ep.fill('#confirmation', 'une phrase de passe pour les offres');
    await ep.click('button:has-text("Créer mon accès")');
    await ep.waitForURL(/\/entreprise\?ok=bienvenue/);
    await check('the employer\'s space', ep);
    await ep.click('a:has-text("Nouvelle offre")');
    await ep.fill('#code_rome', 'soudeur');
    await ep.click('button:has-text("Chercher")');
    await ep.click('ul.found a >> nth=0');
    await ep.fill('#intitule', `Soudeur TIG pour la maintenance du port ${n}`);
    await ep.check('#j1-0');
    await ep.fill('#debut1', '06:00');
    await ep.fill('#fin1', '13:00');
    await ep.selectOption('#contrat', 'cdd');
    await ep.click('button:has-text("Enregistrer le brouillon")');
    await ep.waitForURL(/\/entreprise\/offres\/[A-Z0-9]{6}\/competences/);
    const own = ep.url().match(/offres\/([A-Z0-9]{6})\//)[1];
    await check('the needs of the employer\'s offer', ep);
    await ep.click('ul.found button >> nth=0');
    await ep.waitForLoadState();
    await ep.goto(`${base}/entreprise`);
    await ep.click('button:text-is("Publier")');
    await ep.waitForURL(/ok=etat/);
    await check('the employer\'s published offer', ep);
    // On the public list (the search index follows within seconds) and, once, on a bus screen.
    let listed = false;
    for (let i = 0; i < 20 && !listed; i++) {
      listed = (await (await fetch(`${base}/offres?q=maintenance+port`)).text()).includes(own);
      if (!listed) await new Promise(r => setTimeout(r, 500));
    }
    assert.ok(listed, `${own} is on the public list`);
    if (n === 1) {
      let shown = false;
      for (let i = 0; i < 20 && !shown; i++) {
        shown = (await screenNearJeanBart()).includes(`<strong>${own}</strong>`);
        if (!shown) await new Promise(r => setTimeout(r, 2000));
      }
      assert.ok(shown, `${own} is on the screen of a bus passing its site`);
    }
    // 14 days later, "toujours d'actualité ?": the contact closes it as filled by the link.
    execFileSync(BIN, ['check-offers', '--db', db, '--public-url', base, '--in-days', '15']);
    const ask = await mailTo(contact, /\/offres\/suivi\//);
    const closeLink = ask.match(/https?:\/\/\S+\/offres\/suivi\/[0-9a-f]{64}\?reponse=non/)[0];
    const lp = await ectx.newPage();
    await lp.goto(closeLink);
    await check('the "toujours d\'actualité ?" page', lp);
    await lp.click('button:has-text("Le poste est pourvu")');
    await lp.waitForLoadState();
    assert.match(await lp.textContent('main'), /pourvue/);
    await check('the answer', lp);
    const gone = await lp.goto(`${base}/offres/${own}`);
    assert.equal(gone.status(), 410);
    if (n === 1) {
      // Gone from the screens within 60 seconds.
      let still = true;
      for (let i = 0; i < 30 && still; i++) {
        still = (await screenNearJeanBart()).includes(`<strong>${own}</strong>`);
        if (still) await new Promise(r => setTimeout(r, 2000));
      }
      assert.equal(still, false, `${own} left the screens`);
    }
    await ectx.close();
    await ctx.close();
  }
});

test('an offer page answers "can I get there by bus?" from a neighbourhood at 360x640: the bus for the afternoon shift, "Pas de bus" for the 3h30 start, axe audit', async () => {
  // A bakery's night shift, imported as a file would be.
  const csv = join(dir, 'nuit.csv');
  writeFileSync(csv, 'id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin\n'
    + 'E2E-NUIT;Boulangerie du Port (entreprise fictive);Fournil;Quai de Lorraine;Dunkerque;59183;51.0344;2.3768;Boulanger / Boulangère de nuit;Pétrir et cuire le pain.;H2913;;300483:3:obligatoire;lun-sam 03:30-11:30|lun-ven 13:00-20:00;cdi;35;1;oui;publiee;\n'
    + 'E2E-NUIT2;Boulangerie du Port (entreprise fictive);Fournil;Quai de Lorraine;Dunkerque;59183;51.0344;2.3768;Tourier / Tourière de boulangerie;Pâte feuilletée.;H2913;;300483:3:obligatoire;lun-sam 03:30-11:30;cdi;35;1;oui;publiee;\n');
  execFileSync(BIN, ['import', 'offers', csv, '--db', db, '--fictional']);
  let code;
  for (let i = 0; i < 20 && !code; i++) {
    const j = await (await fetch(`${base}/api/v1/offers?q=boulanger`)).json();
    code = j.offers.find(o => o.external_id === 'E2E-NUIT')?.code;
    if (!code) await new Promise(r => setTimeout(r, 500));
  }
  assert.ok(code, 'the imported offer is published');
  const { ctx, page, outside } = await phonePage();
  await page.goto(`${base}/offres/${code}`);
  assert.match(await page.textContent('section.bus'), /Place Jean Bart/);
  await page.fill('#depuis', 'Europe (démo)');
  await page.click('button:has-text("Voir les bus")');
  await page.waitForURL(/depuis=/);
  const cards = await page.$$eval('.journeys .card', cs => cs.map(c => c.textContent.replace(/\s+/g, ' ')));
  assert.equal(cards.length, 2, cards.join('\n'));
  assert.match(cards[0], /Pas de bus pour ce poste/);
  assert.match(cards[0], /Au plus près/);
  assert.match(cards[1], /Aller : départ \d+h\d\d : ligne/);
  assert.match(cards[1], /Retour : départ \d+h\d\d/);
  const bad = await audit(page);
  assert.deepEqual(bad.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the journeys');
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(sideways, false, 'the journeys scroll sideways at 360px');
  assert.deepEqual(outside, [], 'nothing loaded from elsewhere');
  // Without a cookie unless asked.
  assert.equal((await ctx.cookies()).filter(c => c.name === 'dklik_depuis').length, 0);
  await page.check('#retenir');
  await page.click('button:has-text("Voir les bus")');
  await page.waitForLoadState();
  assert.equal((await ctx.cookies()).filter(c => c.name === 'dklik_depuis').length, 1);
  // The list keeps only the offers with a bus both ways from the neighbourhood.
  const listed = async () => page.$$eval('.cards h2 a', as => as.map(a => a.getAttribute('href')));
  let early;
  for (let i = 0; i < 20 && !early; i++) {
    early = (await (await fetch(`${base}/api/v1/offers?q=tourier`)).json()).offers.find(o => o.external_id === 'E2E-NUIT2')?.code;
    if (!early) await new Promise(r => setTimeout(r, 500));
  }
  assert.ok(early, 'the second imported offer is published');
  let before = [];
  for (let i = 0; i < 20 && !(before.includes(`/offres/${code}`) && before.includes(`/offres/${early}`)); i++) {
    if (i) await new Promise(r => setTimeout(r, 500));
    await page.goto(`${base}/offres?q=boulangerie`);
    before = await listed();
  }
  assert.ok(before.includes(`/offres/${code}`) && before.includes(`/offres/${early}`), before.join(' '));
  await page.selectOption('#depuis', { label: 'Europe (démo)' });
  await page.click('button:has-text("Voir les offres")');
  await page.waitForURL(/depuis=q/);
  // The table follows new offers within seconds.
  let after = await listed();
  for (let i = 0; i < 30 && !after.includes(`/offres/${code}`); i++) {
    await new Promise(r => setTimeout(r, 1000));
    await page.reload();
    after = await listed();
  }
  assert.ok(after.includes(`/offres/${code}`), after.join(' '));
  assert.ok(!after.includes(`/offres/${early}`), 'no bus for a 3h30 start');
  assert.match(await page.textContent('.count'), /avec un bus/);
  const bad2 = await audit(page);
  assert.deepEqual(bad2.map(v => `${v.id}: ${v.help}`), [], 'axe violations on the filtered list');
  await ctx.close();
});
