#!/usr/bin/env node
/**
 * The `effect-wechatpay` executable, as `tsc` builds it (`dist/main.js`).
 * What ships is `dist/bin.js`, this module bundled by `bundle.mjs` (see there
 * why).
 *
 * @since 0.1.0
 */
import * as Cli from "./Cli.js"

// `Cli.runMain`: `NodeRuntime.runMain` that also ends on SIGHUP (see there).
Cli.runMain(Cli.main(process.argv), {
  // `main` reports every failure itself (one JSON line on stderr) and returns the exit code.
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: Cli.teardown
})
