// The web console in headless Chromium against the real stack that
// test_console.py starts (mos cloud up, a virtual board provisioned with
// mos aws-iot-setup, its c_mqtt connected to the broker). The issue's
// scenario, step by step, a screenshot after each:
//   a wrong login shows the server's message; log in;
//   subscribe to /response (and /request, console-test/#);
//   publish the seed's message exactly as typed to /request: the board's LED
//   (GPIO2, active low) turns on and its /response appears, pretty-printed;
//   an HTML payload is shown as text and never run; an invalid filter shows
//   the server's reason; a 1 MB payload is refused in the page;
//   revoke the device's certificate: a second tab, left on Connected clients,
//   sees the device drop off live.
// Finally the page over mos-cloud's HTTPS listener (wss:, a Secure cookie).
// Environment (set by test_console.py): CONSOLE_URL, CONSOLE_HTTPS_URL, MOS_BIN, MOS_SIM_DIR,
// BOARD, DEVICE_ID, CERT_ID, ARTIFACTS_DIR, ACCESS_KEY, SECRET.
import assert from "node:assert/strict";
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {launch} from "./browser.mjs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through test_console.py (ctest -R browser_console)`);
  return v;
};
const URL_ = env("CONSOLE_URL");
const DEVICE = env("DEVICE_ID");
const CERT = env("CERT_ID");
const ARTIFACTS = env("ARTIFACTS_DIR");
const ACCESS_KEY = env("ACCESS_KEY");
const SECRET = env("SECRET");
// The seed's message, exactly as a person types it into a test client
// (tests/e2e/board.py SEED_ON): bare keys, so not JSON.
const seed = (state) => `{\n    gpio: {\n        pin: 2,\n        state: ${state}\n    }\n}`;
const HTML_PAYLOAD = `<img src=x onerror="window.__mosXss = 1; alert('xss')"><b id="mos-xss">bold</b>`;
const WAIT = 20000;

fs.mkdirSync(ARTIFACTS, {recursive: true});
for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith(".png")) fs.rmSync(path.join(ARTIFACTS, f));  // this run's only
let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  console.log(`  screenshot ${file}`);
}
function step(text) {
  console.log(`step: ${text}`);
}

// `mos sim gpio BOARD 2`: the level of the board's GPIO2 (1 = HIGH).
function gpio2() {
  const out = execFileSync(env("MOS_BIN"), ["sim", "gpio", env("BOARD"), "2"],
                           {env: {...process.env, MOS_SIM_DIR: env("MOS_SIM_DIR")}, encoding: "utf8"});
  const m = /(\d)\s*$/.exec(out.trim());
  assert.ok(m, `mos sim gpio printed no level: ${out}`);
  return Number(m[1]);
}
async function waitGpio2(level) {
  const end = Date.now() + WAIT;
  let now;
  while ((now = gpio2()) !== level && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.equal(now, level, `GPIO2 should be ${level} (the LED ${level === 0 ? "on" : "off"})`);
}

const dialogs = [];
const bigFramesSent = [];
function watch(page, tag) {
  page.on("dialog", (d) => {
    dialogs.push(`${tag}: ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("pageerror", (e) => console.log(`  [${tag}] page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) console.log(`  [${tag}] console: ${m.text()}`);
  });
  page.on("websocket", (ws) => ws.on("framesent", (f) => {
    if (typeof f.payload === "string" && f.payload.length > 131072) bigFramesSent.push(f.payload.length);
    else if (f.payload && f.payload.length > 131072) bigFramesSent.push(f.payload.length);
  }));
}

async function login(page, secret) {
  await page.getByTestId("login-key").fill(ACCESS_KEY);
  await page.getByTestId("login-secret").fill(secret);
  await page.getByTestId("login-submit").click();
}

async function subscribe(page, filter) {
  await page.getByLabel("Topic filter").fill(filter);
  await page.getByTestId("sub-qos").selectOption("1");
  await page.getByTestId("sub-submit").click();
  await page.locator(`[data-testid=sub-item][data-filter="${filter}"]`).waitFor({timeout: WAIT});
}

async function publish(page, topic, payload) {
  await page.getByTestId("pub-topic").fill(topic);
  await page.getByTestId("pub-payload").fill(payload);
  await page.getByTestId("pub-submit").click();
}

// The newest message on topic whose payload text satisfies test.
async function waitMessage(page, topic, test) {
  const items = page.locator(`[data-testid=msg-item][data-topic="${topic}"]`);
  const end = Date.now() + WAIT;
  for (;;) {
    for (const text of await items.locator("[data-testid=msg-payload]").allTextContents()) {
      if (test(text)) return text;
    }
    if (Date.now() > end) {
      throw new Error(`no message on ${topic} matching ${test} within ${WAIT / 1000} s; shown: ` +
                      JSON.stringify(await items.locator("[data-testid=msg-payload]").allTextContents()));
    }
    await page.waitForTimeout(100);
  }
}

const {context, close} = await launch();
let page;
try {
  page = context.pages()[0] || await context.newPage();
  watch(page, "tab 1");

  step("open the console: the login form (nothing is shown without a session)");
  const first = await page.goto(`${URL_}/console`);
  assert.equal(first.status(), 200, `GET ${URL_}/console answered ${first.status()}: does this mos-cloud serve the console?`);
  assert.equal(new URL(first.url()).pathname, "/console/", "/console redirects to /console/");
  await page.getByTestId("login-form").waitFor();
  assert.equal(await page.getByTestId("page-mqtt").isVisible(), false);

  step("a wrong secret: the server's message shows and nothing opens");
  await login(page, `${SECRET}-wrong`);
  await page.getByTestId("login-error").filter({hasText: /Wrong access key ID or secret access key/})
    .waitFor({timeout: WAIT});
  assert.equal(await page.getByTestId("page-mqtt").isVisible(), false);
  await screenshot(page, "login-wrong-secret");

  step("log in with the keyboard alone (labels, Tab, Enter); the live channel connects");
  await page.getByLabel("Access key ID").fill("");
  await page.getByLabel("Access key ID").focus();
  await page.keyboard.type(ACCESS_KEY);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-secret");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(SECRET);
  await page.keyboard.press("Enter");
  await page.getByTestId("page-mqtt").waitFor();
  await page.locator("[data-testid=live-state][data-state=connected]").waitFor({timeout: WAIT});
  await screenshot(page, "logged-in");

  step("subscribe to /response, /request and console-test/# (QoS 1)");
  await subscribe(page, "/response");
  await subscribe(page, "/request");
  await subscribe(page, "console-test/#");
  await screenshot(page, "subscribed");

  step("the seed's message with state 1 turns the LED off first (GPIO2 high)");
  await publish(page, "/request", seed(1));
  await waitMessage(page, "/response", (t) => /"state":\s*1/.test(t));
  await waitGpio2(1);

  step("publish the seed's message exactly as typed, state 0: the LED turns on, /response appears");
  await publish(page, "/request", seed(0));
  const asSent = await waitMessage(page, "/request", (t) => t.includes("state: 0"));
  assert.equal(asSent, seed(0), "not JSON (bare keys): shown exactly as typed");
  const response = await waitMessage(page, "/response", (t) => /"state":\s*0/.test(t));
  assert.deepEqual(JSON.parse(response), {type: "gpio", pin: 2, state: 0});
  assert.match(response, /^\{\n {2}"type": "gpio",\n/, "a JSON payload is pretty-printed");
  await waitGpio2(0);
  console.log(`  mos sim gpio ${env("BOARD")} 2 -> 0: the LED is on`);
  await screenshot(page, "led-on-response");

  step("an HTML payload is shown as text and never run");
  await publish(page, "console-test/html", HTML_PAYLOAD);
  const html = await waitMessage(page, "console-test/html", (t) => t.includes("onerror"));
  assert.equal(html, HTML_PAYLOAD);
  await page.waitForTimeout(500);  // time for an image error handler to fire, were there an image
  assert.equal(await page.locator("[data-testid=msg-list] img, #mos-xss").count(), 0, "no element made from the payload");
  assert.equal(await page.evaluate(() => window.__mosXss), undefined, "the payload's script did not run");
  assert.deepEqual(dialogs, [], "no dialog opened");
  await screenshot(page, "html-payload-as-text");

  step("pause: new messages wait (their count shown), resume shows them, clear empties the list");
  await page.getByTestId("msg-pause").click();
  assert.equal(await page.getByTestId("msg-pause").getAttribute("aria-pressed"), "true");
  await publish(page, "console-test/pause", "first while paused");
  await publish(page, "console-test/pause", "second while paused");
  await page.getByTestId("msg-paused").filter({hasText: "2 new messages waiting"}).waitFor({timeout: WAIT});
  assert.equal(await page.locator('[data-testid=msg-item][data-topic="console-test/pause"]').count(), 0);
  await screenshot(page, "paused");
  await page.getByTestId("msg-pause").click();
  assert.deepEqual(await page.locator('[data-testid=msg-item][data-topic="console-test/pause"] [data-testid=msg-payload]')
    .allTextContents(), ["second while paused", "first while paused"], "newest first after resuming");
  await page.getByTestId("msg-clear").click();
  assert.equal(await page.locator("[data-testid=msg-item]").count(), 0);

  step("an invalid topic filter a/#/b: the server's reason shows by the form");
  await page.getByTestId("sub-filter").fill("a/#/b");
  await page.getByTestId("sub-submit").click();
  const subError = page.getByTestId("sub-error");
  await subError.filter({hasText: /#/}).waitFor({timeout: WAIT});
  assert.equal(await page.locator('[data-testid=sub-item][data-filter="a/#/b"]').count(), 0);
  console.log(`  sub-error: ${await subError.textContent()}`);
  await screenshot(page, "invalid-filter");

  step("a 1 MB payload is refused in the page, with AWS IoT Core's limit, and never sent");
  const framesBefore = bigFramesSent.length;
  await publish(page, "console-test/big", "x".repeat(1 << 20));
  await page.getByTestId("pub-error")
    .filter({hasText: "The payload is 1048576 bytes; AWS IoT Core's limit is 131072 bytes."}).waitFor();
  await page.waitForTimeout(1000);
  assert.equal(bigFramesSent.length, framesBefore, "no oversized frame on the WebSocket");
  assert.equal(await page.locator('[data-testid=msg-item][data-topic="console-test/big"]').count(), 0);
  await screenshot(page, "payload-too-large");
  await page.getByTestId("pub-payload").fill("");
  assert.equal(await page.getByTestId("pub-error").textContent(), "", "the size error goes once the payload fits");

  step("Things lists the device's thing with its certificate; Policies shows mos-default and its target");
  await page.getByTestId("nav-things").click();
  const thing = page.locator(`[data-testid=thing-row][data-thing="${DEVICE}"]`);
  await thing.waitFor({timeout: WAIT});
  assert.equal(await thing.locator(`[data-full="${CERT}"]`).count(), 1, "the thing's principal is the device's certificate");
  await screenshot(page, "things");
  await page.getByTestId("nav-policies").click();
  const policy = page.locator("[data-testid=policy-card][data-policy=mos-default]");
  await policy.waitFor({timeout: WAIT});
  const doc = JSON.parse(await policy.getByTestId("policy-document").textContent());
  assert.equal(doc.Statement[0].Action, "iot:*");
  assert.equal(await policy.locator(`[data-testid=policy-targets] [data-full="${CERT}"]`).count(), 1);
  await screenshot(page, "policies");

  step("a second tab on Connected clients lists the device with its certificate and thing");
  const watcher = await context.newPage();
  watch(watcher, "tab 2");
  await watcher.goto(`${URL_}/console/#/connections`);  // the session cookie is shared
  const deviceRow = watcher.locator(`[data-testid=connection-row][data-client-id="${DEVICE}"]`);
  await deviceRow.waitFor({timeout: WAIT});
  assert.equal(await deviceRow.getAttribute("data-certificate-id"), CERT);
  assert.equal(await deviceRow.locator("[data-testid=connection-cert]").getAttribute("title"), CERT,
               "the full certificate id on hover");
  assert.match(await deviceRow.textContent(), new RegExp(DEVICE));
  await watcher.locator("[data-testid=live-state][data-state=connected]").waitFor({timeout: WAIT});
  await screenshot(watcher, "connected-clients");

  step("a third tab on Denials, to see the refusals that follow the revoke arrive live");
  const denialsTab = await context.newPage();
  watch(denialsTab, "tab 3");
  const denialsApi = await denialsTab.request.get(`${URL_}/console/api/denials?limit=1`);
  await denialsTab.goto(`${URL_}/console/#/denials`);
  await denialsTab.locator("[data-testid=live-state][data-state=connected]").waitFor({timeout: WAIT});
  if (denialsApi.status() !== 501) {
    assert.equal(denialsApi.status(), 200, `GET /console/api/denials answered ${denialsApi.status()}`);
    await denialsTab.locator("[data-testid=denials-table], [data-testid=denials-empty]").first().waitFor({timeout: WAIT});
    assert.equal(await denialsTab.locator(`[data-testid=denial-row][data-client-id="${DEVICE}"]`).count(), 0,
                 "no denial for the device before its certificate is revoked");
  }

  step("revoke the device's certificate on the Certificates page (with a confirmation)");
  await page.getByTestId("nav-certificates").click();
  const certRow = page.locator(`[data-testid=cert-row][data-cert-id="${CERT}"]`);
  await certRow.waitFor({timeout: WAIT});
  assert.equal(await certRow.getAttribute("data-status"), "ACTIVE");
  await certRow.getByTestId("cert-revoke").click();
  await page.getByTestId("confirm-dialog").waitFor();
  await page.keyboard.press("Escape");  // cancelled: nothing changes
  await page.getByTestId("confirm-dialog").waitFor({state: "hidden"});
  await page.waitForTimeout(300);
  assert.equal(await certRow.getAttribute("data-status"), "ACTIVE", "Escape cancels the revoke");
  await certRow.getByTestId("cert-revoke").click();
  await page.getByTestId("confirm-dialog").waitFor();
  await screenshot(page, "revoke-confirm");
  await page.getByTestId("confirm-ok").click();
  await page.locator(`[data-testid=cert-row][data-cert-id="${CERT}"][data-status=REVOKED]`).waitFor({timeout: WAIT});
  assert.equal(await certRow.getByTestId("cert-activate").isDisabled(), true, "a revoked certificate stays revoked");
  await screenshot(page, "revoked");

  step("the second tab, untouched, sees the device drop off the connected list");
  await deviceRow.waitFor({state: "detached", timeout: WAIT});
  assert.equal(await watcher.locator("[data-testid=connection-row][data-client-id=mos-cloud-console]").count(), 1,
               "the console's own connection stays");
  await screenshot(watcher, "device-dropped");

  if (denialsApi.status() === 501) {
    // mos-cloud built without the registry's denials (branch `denials`): the
    // page shows the server's reason instead of an empty list.
    step("Denials: this mos-cloud has no denials reader (501); the page shows the server's message");
    const message = (await denialsTab.getByTestId("denials-error").textContent()).trim();
    assert.ok(message.length > 0, "the 501's message is shown");
    console.log(`  denials-error: ${message}`);
  } else {
    step("the third tab, untouched, shows the broker refusing the revoked device (iot:Connect) live");
    const denial = denialsTab.locator(`[data-testid=denial-row][data-client-id="${DEVICE}"]`).first();
    await denial.waitFor({timeout: 45000});  // the board retries with its jittered back-off
    assert.match(await denial.textContent(), /iot:Connect/);
    console.log(`  denial: ${(await denial.textContent()).replace(/\s+/g, " ")}`);
  }
  await screenshot(denialsTab, "denials");

  step("a narrow window: one column, nothing cut off");
  await page.setViewportSize({width: 390, height: 844});
  await page.getByTestId("nav-mqtt").click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px in a 390px window`);
  await screenshot(page, "narrow-window");

  step("over HTTPS (wss:, a Secure cookie): log in, publish and receive on the same page");
  const HTTPS = env("CONSOLE_HTTPS_URL");
  const tls = await context.newPage();
  watch(tls, "https");
  await tls.goto(`${HTTPS}/console/`);
  await tls.getByTestId("login-key").fill(ACCESS_KEY);
  await tls.getByTestId("login-secret").fill(SECRET);
  await tls.getByTestId("login-submit").click();
  await tls.locator("[data-testid=live-state][data-state=connected]").waitFor({timeout: WAIT});
  const cookie = (await context.cookies(`${HTTPS}/console/`)).find((c) => c.name === "mos_console");
  assert.ok(cookie && cookie.secure && cookie.httpOnly && cookie.sameSite === "Strict",
            `the session cookie over HTTPS is Secure, HttpOnly, SameSite=Strict: ${JSON.stringify(cookie)}`);
  await subscribe(tls, "console-test/tls");
  await publish(tls, "console-test/tls", "over TLS");
  assert.equal(await waitMessage(tls, "console-test/tls", (t) => t === "over TLS"), "over TLS");
  await screenshot(tls, "https");

  assert.deepEqual(dialogs, [], "no dialog opened at any step");
  console.log(`console browser scenario: all steps passed; screenshots in ${ARTIFACTS}`);
} catch (e) {
  if (page) await page.screenshot({path: path.join(ARTIFACTS, "failure.png"), fullPage: true}).catch(() => {});
  console.error(`console browser scenario FAILED: ${e.stack || e}`);
  console.error(`screenshots so far, and failure.png, in ${ARTIFACTS}`);
  process.exitCode = 1;
} finally {
  await close();
}
