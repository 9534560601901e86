// Builds the shipped program from what `tsc -b` emitted (dist/main.js and the workspace
// packages' dist/): dist/effect-wechatpay.cjs, one CommonJS file, and its V8 code cache,
// dist/effect-wechatpay.cjs.v8-cache. dist/bin.js (src/bin.ts, the `bin`) runs them.
//
// Why: start-up was module loading. Unbundled, `effect-wechatpay --help` loads about 900
// modules (effect, @effect/cli, @effect/platform-node, undici, ...) and spent ~1.1 s
// resolving, reading and compiling them, against 0.07 s for `node -e 0`. One file,
// tree-shaken and minified, skips the resolution; the code cache skips most of the
// compiling (Node 20 has no compile cache of its own: `module.enableCompileCache` is
// Node 22+). The commands' own code is loaded by `import()` (commands/*.run.ts), which
// the bundle keeps lazy: `--help` runs none of the client's or the sandbox's module code.
// CommonJS, because `node:vm` takes a code cache for a script, not for an ES module.
//
// Why esbuild: it is already in the lockfile (vitest's vite depends on it, same version),
// so the bundle adds no package; its install script is not needed (the binary comes as an
// optional platform package; see pnpm-workspace.yaml).
//
// Run from the repository root by `pnpm build` / `pnpm test` / `pnpm demo` / `pnpm bench`,
// after `tsc -b`: `node packages/cli/bundle.mjs`.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const dist = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "dist")
const bundle = Path.join(dist, "effect-wechatpay.cjs")
const cache = `${bundle}.v8-cache`
Fs.rmSync(cache, { force: true })

// @effect/cli's `Options.fileParse` / `Args.fileParse` read YAML, TOML and INI files with
// these three packages; no command here uses them, yet they were 155 KB of the bundle and
// about 20 ms of every start (their module code runs at load). Each is replaced by a
// `parse` that throws, which @effect/cli turns into its "Could not parse" error.
const noConfigFileParsers = {
  name: "no-config-file-parsers",
  setup(build) {
    build.onResolve({ filter: /^(yaml|toml|ini)$/ }, (args) => ({ path: args.path, namespace: "no-parser" }))
    build.onLoad({ filter: /.*/, namespace: "no-parser" }, (args) => ({
      contents: `export const parse = () => { throw new Error("effect-wechatpay reads no ${args.path} files") }`,
      loader: "js"
    }))
  }
}

await build({
  plugins: [noConfigFileParsers],
  entryPoints: [Path.join(dist, "main.js")],
  outfile: bundle,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  logLevel: "warning"
})
// bin.js runs the bundle through node:vm: no hashbang there.
Fs.writeFileSync(bundle, Fs.readFileSync(bundle, "utf8").replace(/^#!.*\n/, ""))

// The code cache, written by bin.js after a warm-up run: `demo` with an empty organization
// runs the sandbox and `face-collections list` through the real client, so the cache also
// holds what they compile. Its output is not needed.
execFileSync(process.execPath, [Path.join(dist, "bin.js"), "demo", "--items", "0", "--faults", ""], {
  env: { ...process.env, EFFECT_WECHATPAY_WRITE_CODE_CACHE: "1" },
  stdio: "ignore"
})
if (!Fs.existsSync(cache)) throw new Error(`bundle.mjs: the warm-up run wrote no ${cache}`)
