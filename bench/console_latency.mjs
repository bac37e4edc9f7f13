// Run by bench/console_latency.sh (which starts the cloud and makes the
// MQTT client certificate). One mosquitto_pub (-l: a message per stdin line,
// one TLS connection for all) sends N messages to bench/latency, 20 ms
// apart, each carrying its send time; the console page (subscribed over its
// WebSocket) stamps each frame's arrival (data-received-at, wall clock in
// ms), and a mosquitto_sub on the same broker prints its own arrival time
// (%U). Same machine, same clock: latency = arrival - send.
import {spawn} from "node:child_process";
import {launch} from "../tests/browser/browser.mjs";

const N = Number(process.env.BENCH_N || 200);
const GAP_MS = 20;
const TOPIC = "bench/latency";
const tls = ["-h", process.env.BENCH_MQTT_HOST, "-p", process.env.BENCH_MQTT_PORT, "--cafile", process.env.BENCH_CA,
             "--cert", process.env.BENCH_CERT, "--key", process.env.BENCH_KEY];
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
function summary(latencies) {
  const s = [...latencies].sort((x, y) => x - y);
  return {n: s.length, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1]};
}

const {context, close} = await launch();
const sub = spawn("mosquitto_sub", [...tls, "-i", "bench-baseline", "-q", "0", "-t", TOPIC, "-F", "%U %p"],
                  {stdio: ["ignore", "pipe", "inherit"]});
let subOut = "";
sub.stdout.on("data", (d) => { subOut += d; });
try {
  const page = context.pages()[0] || await context.newPage();
  await page.goto(`${process.env.BENCH_URL}/console/`);
  await page.getByTestId("login-key").fill("AKIDMOSLOCAL");
  await page.getByTestId("login-secret").fill("mos-local-secret");
  await page.getByTestId("login-submit").click();
  await page.locator("[data-testid=live-state][data-state=connected]").waitFor({timeout: 20000});
  await page.getByTestId("sub-filter").fill(TOPIC);
  await page.getByTestId("sub-submit").click();
  await page.locator(`[data-testid=sub-item][data-filter="${TOPIC}"]`).waitFor({timeout: 20000});
  await sleep(1000);  // mosquitto_sub connected and subscribed

  const pub = spawn("mosquitto_pub", [...tls, "-i", "bench-publisher", "-q", "0", "-t", TOPIC, "-l"],
                    {stdio: ["pipe", "inherit", "inherit"]});
  await sleep(1000);  // its TLS connection is up before the first line
  for (let seq = 0; seq < N; seq++) {
    pub.stdin.write(`${JSON.stringify({seq, sentAt: now()})}\n`);
    await sleep(GAP_MS);
  }
  pub.stdin.end();
  await new Promise((r) => pub.on("exit", r));

  const items = page.locator(`[data-testid=msg-item][data-topic="${TOPIC}"]`);
  const end = Date.now() + 20000;
  while ((await items.count()) < N && Date.now() < end) await sleep(100);
  const pageRows = await items.evaluateAll((els) => els.map((e) => ({
    at: Number(e.dataset.receivedAt), payload: e.querySelector("[data-testid=msg-payload]").textContent})));
  const pageLat = pageRows.map((r) => r.at - JSON.parse(r.payload).sentAt);
  await sleep(500);
  const subLat = subOut.trim().split("\n").filter(Boolean).map((line) => {
    const i = line.indexOf(" ");
    return Number(line.slice(0, i)) * 1000 - JSON.parse(line.slice(i + 1)).sentAt;
  });

  const fmt = (v) => v.toFixed(2).padStart(8);
  const row = (name, s) => console.log(`${name.padEnd(34)} ${String(s.n).padStart(5)} ${fmt(s.p50)} ${fmt(s.p90)} ${fmt(s.p99)} ${fmt(s.max)}`);
  console.log(`console message latency, ${N} messages of ~40 bytes, QoS 0, ${GAP_MS} ms apart (ms)`);
  console.log(`${"path".padEnd(34)} ${"recv".padStart(5)} ${"p50".padStart(8)} ${"p90".padStart(8)} ${"p99".padStart(8)} ${"max".padStart(8)}`);
  const base = summary(subLat);
  const cons = summary(pageLat);
  row("mosquitto_pub -> mosquitto_sub", base);
  row("mosquitto_pub -> console page", cons);
  console.log(`${"console's added cost (p50 / p99)".padEnd(34)}       ${fmt(cons.p50 - base.p50)}          ${fmt(cons.p99 - base.p99)}`);
  if (cons.n < N || base.n < N) {
    console.error(`lost messages: the page got ${cons.n} of ${N}, mosquitto_sub ${base.n}`);
    process.exitCode = 1;
  }
} finally {
  sub.kill();
  await close();
}
