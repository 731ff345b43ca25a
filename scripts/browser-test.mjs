// The history page in headless Chromium: a signed-in user arrives with a token, enters a wrong
// and then the right password, and sees each message and then the table; a pasted bad token
// and a lockout get their own messages; nothing is kept in browser storage. Saves a screenshot
// of the table to target/browser/history.png.
//
//   node scripts/browser-test.mjs
//
// `npm run test:browser` runs scripts/setup.sh first. It drives Debian's Chromium
// (/usr/bin/chromium, or CHROMIUM_PATH) through playwright-core; when it is missing and this
// runs as root, it installs the `chromium` package with apt-get.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium } from "playwright-core";
import { ROOT, phc, startLocalWorker } from "./local-worker.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = resolve(ROOT, "target/browser/history.png");

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    console.error(
      `${CHROMIUM} is missing: install Debian's chromium package, or set CHROMIUM_PATH`,
    );
    process.exit(2);
  }
  console.log("==> installing Debian's chromium package (first run only)");
  const update = spawnSync("apt-get", ["update"], { stdio: "inherit" });
  if (update.status !== 0) process.exit(update.status ?? 1);
  const install = spawnSync("apt-get", ["install", "-y", "chromium"], { stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

let failures = 0;
function check(condition, what) {
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
  if (!condition) failures++;
}

console.log("==> building the Worker and a throwaway local D1");
const worker = await startLocalWorker({
  runDir: resolve(ROOT, "target/browser"),
  // Times shown at +08:00, so the page must say so instead of "UTC".
  vars: ["PASSWORD_HASH_ITERATIONS:1000", "DISPLAY_UTC_OFFSET:+08:00"],
  seedSql: `
    INSERT INTO accounts (id, id_number, password_hash)
    VALUES ('browser', '110105199001011234', '${phc("right password")}'),
           ('browser-locked', '110105199001011234', '${phc("right password")}'),
           ('browser-odd', '110105199001011234', '${phc("right password")}');
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES ('browser', 'email', NULL, 'ann@example.com', 1767261600000),
           ('browser', 'nickname', 'ann', 'Ann Lee', 1769940000000),
           ('browser', 'phone_number', '13800000000', '13800000001', 1771840800000),
           ('browser-odd', 'constructor', '<b>bold</b>', '<img src=x onerror=alert(1)>', 1);`,
});

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const message = page.locator("#message");

  console.log("==> a signed-in user: wrong password, then the right one");
  await page.goto(`${worker.base}/#token=${await worker.token("browser")}`);
  check(await page.locator("#token-row").isHidden(), "the token field is hidden when signed in");
  check(!page.url().includes("token="), "the token is removed from the address bar");
  await page.fill("#password", "wrong password");
  await page.click("#submit");
  await message.filter({ hasText: /./ }).waitFor();
  check(
    (await message.textContent()).includes("That password is not correct"),
    `wrong password: "${await message.textContent()}"`,
  );
  check(await page.locator("#history").isHidden(), "no table after a wrong password");
  check((await page.inputValue("#password")) === "", "the password field is cleared");

  await page.fill("#password", "right password");
  await page.click("#submit");
  await page.locator("#history").waitFor();
  const rows = await page.locator("#changes tbody tr").allTextContents();
  check(rows.length === 3, `three rows: ${JSON.stringify(rows)}`);
  check(rows[0]?.startsWith("2026-02-23 18:00:00Phone number"), "newest first, at +08:00");
  check(
    (await page.textContent("#changes thead th")) === "When (UTC+08:00)",
    "the time column names the offset",
  );
  check(rows[2]?.includes("(none)"), "an empty before-value reads (none)");
  check(
    (await page.textContent("#user-id")) === "110***********1234",
    "the ID number is shown masked",
  );
  check((await message.textContent()).includes("Showing 3 change(s)"), "the success message");
  mkdirSync(resolve(ROOT, "target/browser"), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  const stored = await page.evaluate(() => ({
    local: localStorage.length,
    session: sessionStorage.length,
    cookie: document.cookie,
  }));
  check(
    stored.local === 0 && stored.session === 0 && stored.cookie === "",
    `nothing stored: ${JSON.stringify(stored)}`,
  );

  console.log("==> a pasted token that is not valid");
  await page.goto("about:blank");
  await page.goto(`${worker.base}/`);
  check(await page.locator("#token-row").isVisible(), "the token field shows without a token");
  await page.fill("#token", "not-a-token");
  await page.fill("#password", "right password");
  await page.click("#submit");
  await message.filter({ hasText: /./ }).waitFor();
  check(
    (await message.textContent()).includes("sign-in has expired or is not valid"),
    `bad token: "${await message.textContent()}"`,
  );

  console.log("==> stored text that looks like code, and a mangled link");
  await page.goto("about:blank");
  await page.goto(`${worker.base}/#token=${await worker.token("browser-odd")}`);
  await page.fill("#password", "right password");
  await page.click("#submit");
  await page.locator("#history").waitFor();
  const odd = await page.locator("#changes tbody tr").first().allTextContents();
  check(
    odd[0]?.includes("constructor<b>bold</b><img src=x onerror=alert(1)>"),
    `stored text shows literally: ${JSON.stringify(odd)}`,
  );
  check((await page.locator("#changes img, #changes b").count()) === 0, "no element was made");
  await page.goto("about:blank");
  await page.goto(`${worker.base}/#token=abc%0Adef`);
  await page.fill("#password", "right password");
  await page.click("#submit");
  await message.filter({ hasText: /./ }).waitFor();
  check(
    (await message.textContent()).includes("sign-in has expired or is not valid"),
    `a token with a newline: "${await message.textContent()}"`,
  );

  console.log("==> six wrong passwords");
  // A fresh load: a change of fragment alone would not run the page's start-up again.
  await page.goto("about:blank");
  await page.goto(`${worker.base}/#token=${await worker.token("browser-locked")}`);
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.fill("#password", "wrong password");
    await page.click("#submit");
    await page.locator("#submit:enabled").waitFor();
  }
  check(
    /Too many attempts\. Please wait (a minute|\d+ minutes)/.test(await message.textContent()),
    `lockout: "${await message.textContent()}"`,
  );
} finally {
  await browser.close();
  worker.stop();
}

console.log(
  failures === 0 ? `all checks passed; screenshot: ${SCREENSHOT}` : `${failures} check(s) failed`,
);
process.exit(failures === 0 ? 0 : 1);
