/**
 * `@effect-wechatpay/cli` is the `effect-wechatpay` program, not a library: it
 * exports only what runs it (`bin.ts` does exactly this). Commands, options,
 * output formats and exit codes are a contract of the program (its `--help`
 * and the README), not of this module.
 *
 * ```ts
 * import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
 * import { main, teardown } from "@effect-wechatpay/cli"
 *
 * NodeRuntime.runMain(main(process.argv), { disableErrorReporting: true, disablePrettyLogger: true, teardown })
 * ```
 *
 * @since 0.1.0
 */

export {
  /**
   * Runs the command line (`process.argv`), reports any failure, and returns the exit code.
   *
   * @since 0.1.0
   */
  main,
  /**
   * For `NodeRuntime.runMain`: exits with the code `main` returned once stdout
   * and stderr are flushed; 130 when interrupted.
   *
   * @since 0.1.0
   */
  teardown
} from "./Cli.js"
