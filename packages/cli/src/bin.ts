#!/usr/bin/env node
/**
 * The `effect-wechatpay` executable.
 *
 * @since 0.1.0
 */
import * as Cli from "./Cli.js"

Cli.runMain(Cli.main(process.argv), {
  // `main` reports every failure itself (one JSON line on stderr) and returns the exit code.
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: Cli.teardown
})
