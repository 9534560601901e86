/**
 * Start-up of the `effect-wechatpay` program as shipped (what
 * packages/cli/package.json's `bin` names, built by `pnpm bench` before it
 * runs): `--help`, and `face-collections list` of an empty organization against
 * a sandbox (the CLI's own `sandbox` command, in a process of its own), each
 * against `node -e 0` in the same rounds, interleaved. Wall time is from spawn
 * to exit, as the parent sees it; peak RSS is the child's `maxRSS`, written at
 * exit by a `--require`d probe that every command, `node -e 0` included, runs.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"

const repo = new URL("../..", import.meta.url).pathname
const cliPackage = Path.join(repo, "packages/cli")

const binOf = (): string => {
  const json: unknown = JSON.parse(Fs.readFileSync(Path.join(cliPackage, "package.json"), "utf8"))
  const bin = typeof json === "object" && json !== null && "bin" in json && typeof json.bin === "object" && json.bin !== null &&
      "effect-wechatpay" in json.bin && typeof json.bin["effect-wechatpay"] === "string"
    ? json.bin["effect-wechatpay"]
    : undefined
  if (bin === undefined) throw new Error("packages/cli/package.json names no effect-wechatpay bin")
  return Path.join(cliPackage, bin)
}

export interface Run {
  readonly wallMs: number
  readonly peakRssMb: number
  readonly code: number | null
}

const PROBE = `"use strict";
process.once("exit", () => {
  require("node:fs").writeFileSync(process.env.STARTUP_RSS_FILE, String(process.resourceUsage().maxRSS));
});
`

export interface Startup {
  /** `argv` after `node`, e.g. `["-e", "0"]`; the environment to add. */
  readonly run: (argv: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => Promise<Run>
  readonly bin: string
  /** A sandbox serving an empty organization, `empty`: the client's settings. */
  readonly sandboxEnv: Readonly<Record<string, string>>
  readonly stop: () => void
}

export const start = async (): Promise<Startup> => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-bench-startup-"))
  const probe = Path.join(dir, "probe.cjs")
  Fs.writeFileSync(probe, PROBE)
  const bin = binOf()
  let n = 0
  const run = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const rssFile = Path.join(dir, `rss-${n++}`)
      const t0 = performance.now()
      const child = ChildProcess.spawn(process.execPath, ["--require", probe, ...argv], {
        env: { PATH: process.env["PATH"] ?? "", ...env, STARTUP_RSS_FILE: rssFile },
        stdio: ["ignore", "ignore", "pipe"]
      })
      const err: Array<Buffer> = []
      child.stderr.on("data", (b: Buffer) => err.push(b))
      child.once("error", reject)
      child.once("exit", (code) => {
        const wallMs = performance.now() - t0
        if (code !== 0) return reject(new Error(`node ${argv.join(" ")} exited with ${code}: ${Buffer.concat(err).toString("utf8")}`))
        resolve({ wallMs, peakRssMb: Number(Fs.readFileSync(rssFile, "utf8")) / 1024, code })
      })
    })
  // The CLI's own sandbox, an empty organization; its settings are `export NAME=value` lines on stdout.
  const sandbox = ChildProcess.spawn(process.execPath, [bin, "sandbox", "--items", "0", "--organization-id", "empty"], {
    stdio: ["ignore", "pipe", "ignore"]
  })
  const sandboxEnv = await new Promise<Record<string, string>>((resolve, reject) => {
    let text = ""
    sandbox.stdout.on("data", (b: Buffer) => {
      text += b.toString("utf8")
      if (!text.includes("WECHATPAY_BASE_URL=")) return
      const env: Record<string, string> = {}
      for (const line of text.split("\n")) {
        const m = /^export (WECHATPAY_[A-Z_]+)=(.*)$/.exec(line)
        if (m !== null) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, "$1")
      }
      resolve(env)
    })
    sandbox.once("exit", (code) => reject(new Error(`the CLI's sandbox exited with ${code}`)))
  })
  return {
    run,
    bin,
    sandboxEnv,
    stop: () => {
      sandbox.kill("SIGTERM")
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
