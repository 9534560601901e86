/**
 * What a process that imports the library loads. `@effect/platform`'s barrel
 * loads every platform module (multipart parsing, workers, the HTTP API
 * builder, …) into the process (bench/PROFILE.md, round 3). Core and node
 * import platform modules by their paths, so none of that is loaded unless a
 * user imports it.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"

const HOOK = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  if (resolved.url.startsWith("file:")) process.stderr.write("loaded " + resolved.url + "\\n")
  return resolved
}`

const loadedBy = (code: string): Promise<ReadonlyArray<string>> =>
  new Promise((resolve, reject) => {
    const register = `import { register } from "node:module"; register("data:text/javascript,${encodeURIComponent(HOOK)}")`
    const child = ChildProcess.spawn(process.execPath, [
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "--input-type=module",
      "-e",
      code
    ], { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "ignore", "pipe"] })
    let err = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      code === 0
        ? resolve(err.split("\n").filter((line) => line.startsWith("loaded ")).map((line) => line.slice(7)))
        : reject(new Error(`exit ${code}: ${err}`)))
  })

describe("what importing the library loads", () => {
  it("core and node load no barrel of @effect/platform, nor what only its barrel reaches", async () => {
    const loaded = await loadedBy(
      `await import("@effect-wechatpay/core"); await import("@effect-wechatpay/node")`
    )
    // The hook works: the library itself and Effect's modules are seen.
    expect(loaded.some((url) => url.includes("/packages/node/dist/index.js"))).toBe(true)
    expect(loaded.some((url) => /\/effect\/dist\/esm\/Effect\.js$/.test(url))).toBe(true)
    expect(loaded.filter((url) => /@effect\/platform\/dist\/esm\/index\.js$/.test(url))).toEqual([])
    // The HTTP API builder, OpenAPI, workers, the key-value store: only the barrel reaches them.
    expect(loaded.filter((url) => /\/(HttpApi[A-Za-z]*|OpenApi[A-Za-z]*|Worker[A-Za-z]*|KeyValueStore)\.js$/.test(url)))
      .toEqual([])
    // The undici HttpClient is loaded on first use only (NodeWechatPayClient.layerHttpClient).
    expect(loaded.filter((url) => /\/undici\//.test(url))).toEqual([])
  }, 60_000)
})
