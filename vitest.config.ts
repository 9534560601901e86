import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Tests run against the TypeScript sources (no build step between edit and test);
// `tsc -b` type-checks the same files, tests included.
export default defineConfig({
  resolve: {
    alias: {
      "@effect-wechatpay/core": src("core"),
      "@effect-wechatpay/node": src("node"),
      "@effect-wechatpay/sandbox": src("sandbox")
    }
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    // The CLI tests start the shipped program many times; on a loaded two-core machine that takes seconds each.
    testTimeout: 120_000,
    sequence: { concurrent: false }
  }
})
