// Drives Debian's headless chromium with playwright-core for
// test_dashboard_browser.py:
//   node dashboard_browser.js PAGE_URL SCREENSHOT EXPECT_JSON
// EXPECT_JSON: [[topic, payload regex], ...]. Prints READY once the page says
// "connected" (its MQTT.js client subscribed over WebSockets), then waits for a
// "GO" line on stdin, and from then on gives the page 5 s to show every expected
// topic with a matching latest value. Prints "OK <ms>" or "FAIL <reason>" and
// exits 0/1. Every request the page makes must go to the broker (no CDN).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const [pageUrl, screenshot, expectJson] = process.argv.slice(2);
const expected = JSON.parse(expectJson).map(([t, re]) => [t, new RegExp(re)]);
const origin = new URL(pageUrl).origin;

function fail(msg) {
  console.log('FAIL ' + msg);
  process.exitCode = 1;
}

async function rows(page) {
  return page.$$eval('#topics tbody tr', (trs) =>
    trs.map((tr) => [tr.dataset.topic, tr.querySelector('td.payload').textContent]));
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mote-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 1000 },
  });
  const foreign = [];
  const errors = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('request', (r) => {
      const u = r.url();
      const local = u.startsWith(origin + '/') || u.startsWith('blob:' + origin + '/') || u.startsWith('ws://127.0.0.1:');
      if (!local) foreign.push(u);
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(pageUrl);
    // Polled from outside: waitForFunction would eval a string, which the page's
    // Content-Security-Policy (rightly) forbids.
    const t1 = Date.now();
    while ((await page.textContent('#status')) !== 'connected') {
      if (Date.now() - t1 > 15000) throw new Error('status: ' + await page.textContent('#status'));
      await page.waitForTimeout(100);
    }
    // MQTT.js subscribes in its connect handler; give the SUBACK a moment.
    await page.waitForTimeout(300);
    console.log('READY');
    const rl = readline.createInterface({ input: process.stdin });
    await new Promise((resolve) => rl.on('line', (l) => l.trim() === 'GO' && resolve()));
    const t0 = Date.now();
    let missing = expected;
    while (Date.now() - t0 < 5000) {
      const got = new Map(await rows(page));
      missing = expected.filter(([t, re]) => !(got.has(t) && re.test(got.get(t))));
      if (missing.length === 0) break;
      await page.waitForTimeout(100);
    }
    const elapsed = Date.now() - t0;
    // Let the chart and one /metrics poll catch up for the screenshot.
    await page.waitForSelector('#metrics [data-metric="mote_clients_connected"]', { timeout: 5000 });
    await page.waitForTimeout(700);
    await page.screenshot({ path: screenshot, fullPage: true });
    const chartInk = await page.$eval('#chart', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
      return n;
    });
    const outside = (await rows(page)).filter(([t]) => !t.startsWith('sensors/'));
    if (outside.length > 0) {
      fail('topics outside the filter sensors/# shown: ' + JSON.stringify(outside));
    } else if (missing.length > 0) {
      fail('not shown within 5 s: ' + JSON.stringify(missing.map(([t, re]) => [t, String(re)])) +
        '; page rows: ' + JSON.stringify(await rows(page)));
    } else if (foreign.length > 0) {
      fail('requests outside the broker: ' + JSON.stringify(foreign));
    } else if (errors.length > 0) {
      fail('page errors: ' + JSON.stringify(errors));
    } else if (chartInk < 200) {
      fail('the chart drew nothing (' + chartInk + ' pixels)');
    } else {
      console.log('OK ' + elapsed);
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => { fail(String(e && e.stack || e)); });
