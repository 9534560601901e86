/**
 * `sandbox` (a fake WeChat Pay on loopback, its settings printed) and `demo`
 * (a sandbox listed by `face-collections list` in one process). Here: the
 * commands and their options; what they run is in `sandbox.run.ts`.
 *
 * @internal
 */
import type { Sandbox } from "@effect-wechatpay/sandbox"
import { Command, Options } from "@effect/cli"
import type { Option } from "effect"
import type * as Output from "../Output.js"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no sandbox.
const run = () => import("./sandbox.run.js")

export const defaultSandboxItems = 10_000

// `10,000`, as `Progress.count` prints it, without `toLocaleString`: Intl's first use costs
// ~15-40 ms, and this runs at start-up (for the help text) in every command.
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

export const defaultOrganizationId = "1234567"

export const defaultDemoItems = 300

export const defaultDemoFaults = "500:nth=3,reset:nth=7"

const modes = ["publicKey", "certificate", "migration"] as const

export interface SandboxArgs {
  readonly notifyUrl?: Option.Option<string> | undefined
  readonly port: number
  readonly items: number
  readonly organizationId: string
  readonly mode: Sandbox.KeyMode
  readonly faults: string
}

/** The options of `demo`. */
export interface DemoArgs {
  readonly items: number
  readonly format: Output.Format
  readonly faults: string
}

const items = (description: string, defaultItems: number) =>
  Options.integer("items").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(description),
    Options.withDefault(defaultItems)
  )

const faults = (description: string, defaultFaults: string) =>
  Options.text("faults").pipe(
    Options.withPseudoName("SPEC"),
    Options.withDescription(description),
    Options.withDefault(defaultFaults)
  )

// --- sandbox ------------------------------------------------------------------------------

/** `sandbox`: serves until interrupted (Ctrl-C, SIGTERM, SIGHUP), then removes its key files. */
export const sandbox = Command.make("sandbox", {
  port: Options.integer("port").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Port on 127.0.0.1 (default 0, meaning a free port chosen by the system; the URL is printed)."),
    Options.withDefault(0)
  ),
  items: items(
    `Items in the organization (default ${grouped(defaultSandboxItems)}; generated lazily, a million is fine).`,
    defaultSandboxItems
  ),
  organizationId: Shared.organizationId(`The organization's id (default ${defaultOrganizationId}).`).pipe(
    Options.withDefault(defaultOrganizationId)
  ),
  mode: Options.choice("mode", modes).pipe(
    Options.withDescription(
      "How responses are signed: publicKey (WeChat Pay public key, default), certificate (platform certificate), " +
        "migration (both configured)."
    ),
    Options.withDefault("publicKey" as const)
  ),
  faults: faults(
    "Faults to inject, e.g. '429:first=3,500:rate=0.2,reset:nth=5,tamper:nth=9,cap=7,latency=50' " +
      "(see packages/sandbox/README.md).",
    ""
  ),
  notifyUrl: Options.text("notify-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(
      "Where to POST FACEPAY.USER_STATE_CHANGE notifications when a contract changes (e.g. a terminate-contract " +
        "call), resent on WeChat Pay's schedule until answered 2xx; try `notifications serve`."
    ),
    Options.optional
  )
}, (args) => Shared.lazy(run, (m) => m.serve(args))).pipe(
  Command.withDescription(
    "Serve a fake WeChat Pay on 127.0.0.1 with throwaway keys, print the WECHATPAY_* variables to set, run until Ctrl-C."
  )
)

// --- demo ---------------------------------------------------------------------------------

/** `demo`: the code path of `face-collections list`, configured through the same settings. */
export const demo = Command.make("demo", {
  items: items(`Items in the sandbox organization (default ${defaultDemoItems}).`, defaultDemoItems),
  format: Shared.format("Output format, as for face-collections list (default table).", "table"),
  faults: faults(
    `Faults the sandbox injects (default '${defaultDemoFaults}': a 500 and a dropped connection, ` +
      "both retried); '' for none.",
    defaultDemoFaults
  )
}, (args) => Shared.lazy(run, (m) => m.demo(args))).pipe(
  Command.withDescription(
    "Start a sandbox and list its organization with `face-collections list`, over real HTTP, in one process."
  )
)
