// Makes docs/conformance-sample.json: the command's own report of a write run on the test account's dedicated
// listener, against the emulator at its defaults (300 ms tasks). Run it when the report's shape or checks change:
//   node test/conformance/sample.ts
import { startEmulator } from "../../emulator/server.ts";
import { conformanceMain } from "../../src/conformance/cli.ts";
import { DEMO_CREDENTIAL } from "../../testenv/gaap.ts";
import { account, ips, LISTENER } from "./world.ts";

// The SDK's environment credential reads process.env on every call.
process.env.TENCENTCLOUD_SECRET_ID = DEMO_CREDENTIAL.secretId;
process.env.TENCENTCLOUD_SECRET_KEY = DEMO_CREDENTIAL.secretKey;
const emu = await startEmulator({ state: account({ bindTaskMs: 300, rateLimits: { default: 20 } }) });
try {
  const code = await conformanceMain([
    "--write",
    "--gaap-endpoint",
    emu.url,
    "--listener",
    LISTENER,
    ...ips(2).flatMap((ip) => ["--origin-ip", ip]),
    "--binds",
    "3",
    "--poll",
    "50ms",
    "--report",
    "docs/conformance-sample.json",
  ]);
  process.exitCode = code;
} finally {
  await emu.close();
}
