#!/usr/bin/env node
/**
 * The `effect-wechatpay` executable: runs the bundled program
 * (`dist/effect-wechatpay.cjs`, built by `bundle.mjs` after `tsc -b`) with the
 * V8 code cache written next to it at build time, or, when there is no bundle
 * (only `tsc -b` ran), `main.js` as `tsc` built it.
 *
 * Why: start-up was module loading and compiling (about 1.1 s for `--help`,
 * against 0.07 s for `node -e 0`). The bundle is one file (no module
 * resolution, nothing loaded that no command uses); the code cache spares V8
 * compiling it again on every run. Node 20 has no compile cache of its own
 * (`module.enableCompileCache` is Node 22+), so this is `node:vm`'s
 * `cachedData`: V8 checks it against its version, flags and the source, and
 * compiles as usual when it does not fit.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Vm from "node:vm"

const bundle = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "effect-wechatpay.cjs")
const cacheFile = `${bundle}.v8-cache`

const read = <A>(read: () => A): A | undefined => {
  try {
    return read()
  } catch {
    return undefined
  }
}

const source = read(() => Fs.readFileSync(bundle, "utf8"))
if (source === undefined) {
  await import("./main.js")
} else {
  const cachedData = read(() => Fs.readFileSync(cacheFile))
  const script = new Vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    ...(cachedData === undefined ? {} : { cachedData })
  })
  // Set by bundle.mjs only: after a warm-up run, the cache holds the functions it compiled too.
  if (process.env["EFFECT_WECHATPAY_WRITE_CODE_CACHE"] === "1") {
    process.once("exit", () => Fs.writeFileSync(cacheFile, script.createCachedData()))
  }
  const run: unknown = script.runInThisContext()
  if (typeof run !== "function") throw new Error(`${bundle} is not a CommonJS bundle`)
  const module = { exports: {} }
  run(module.exports, createRequire(bundle), module, bundle, Path.dirname(bundle))
}
