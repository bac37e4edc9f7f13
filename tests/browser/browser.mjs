// Headless Debian Chromium (/usr/bin/chromium, apt package `chromium`) driven
// by playwright-core, which never downloads a browser. Shared by the console
// test and bench/console_latency.mjs.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {chromium} from "playwright-core";

export const CHROMIUM = process.env.MOS_CHROMIUM || "/usr/bin/chromium";

// ignoreHTTPSErrors: the console test also opens the page over mos-cloud's
// HTTPS listener, whose certificate comes from the cloud's own local CA (not
// in Chromium's trust store); the certificate itself is checked by the AWS
// CLI tests with AWS_CA_BUNDLE (cloud/tests).
export async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}; install it with: scripts/setup.sh (Debian package chromium)`);
  }
  // A fresh profile each run; the network flags keep Chromium from calling
  // home (this machine has no internet: those calls only fail, many at once).
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "mos-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: {width: 1280, height: 900},
    ignoreHTTPSErrors: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-default-apps", "--no-default-browser-check"],
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(profile, {recursive: true, force: true});
  };
  return {context, close};
}
