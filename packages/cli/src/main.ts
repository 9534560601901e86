#!/usr/bin/env node
/**
 * The `effect-wechatpay` executable, as `tsc` builds it (`dist/main.js`).
 * What ships is `dist/bin.js`, this module bundled by `bundle.mjs` (see there
 * why).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cli from "./Cli.js"

NodeRuntime.runMain(Cli.main(process.argv), {
  // `main` reports every failure itself (one JSON line on stderr) and returns the exit code.
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: Cli.teardown
})
