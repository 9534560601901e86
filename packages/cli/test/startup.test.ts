/**
 * What the program loads before it knows which command runs: the modules that
 * `dist/main.js` (built by `tsc -b` before vitest) reaches by static imports
 * alone, as esbuild bundles them, with every `commands/*.run.js` (a command's
 * body, loaded by `import()` when the command runs) left out. `--help` and
 * every command's start-up pay for these; the client, core's endpoints, the
 * node layers and the sandbox must not be among them (bench/PROFILE.md,
 * "Start-up").
 */
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url))
const COMMANDS = fileURLToPath(new URL("../src/commands/", import.meta.url))

const eagerInputs = async (): Promise<ReadonlyArray<string>> => {
  const result = await build({
    entryPoints: [MAIN],
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    metafile: true,
    logLevel: "silent",
    plugins: [{
      name: "bodies-external",
      setup(b) {
        b.onResolve({ filter: /\.run\.js$/ }, (args) => ({ path: args.path, external: true }))
        // bundle.mjs replaces these three (config-file parsers) too.
        b.onResolve({ filter: /^(yaml|toml|ini)$/ }, (args) => ({ path: args.path, external: true }))
      }
    }]
  })
  // The output's inputs that kept code: esbuild parses every module an index re-exports, and drops those unused.
  return Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path)
  )
}

describe("start-up", () => {
  it("every command group keeps its body in a *.run.ts file loaded by import()", () => {
    const files = Fs.readdirSync(COMMANDS).filter((f) => f.endsWith(".ts") && !f.endsWith(".run.ts"))
    for (const group of ["certificates", "contracts", "credentials", "faceCollections", "notifications", "organizations", "sandbox", "transactions", "users"]) {
      expect(files).toContain(`${group}.ts`)
      const text = Fs.readFileSync(`${COMMANDS}${group}.ts`, "utf8")
      expect(text).toContain(`import("./${group}.run.js")`)
    }
  })

  it("loads none of the client, the endpoints, the node layers or the sandbox before a command runs", async () => {
    const inputs = await eagerInputs()
    const ours = inputs.filter((f) => /(^|\/)packages\/(core|node|sandbox)\/dist\//.test(f))
    // Core's errors are what Failure.ts reports with.
    expect(ours.map((f) => f.replace(/^.*packages\//, "")).sort()).toEqual(["core/dist/WechatPayError.js"])
    expect(inputs.some((f) => f.includes("/undici/"))).toBe(false)
    expect(inputs.some((f) => /commands\/client\.js$/.test(f))).toBe(false)
  })
})
