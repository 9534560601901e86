/**
 * The APIv3 key from the environment: a value or a file, checked for 32
 * bytes, named and never shown in an error.
 */
import { ApiV3Key } from "@effect-wechatpay/core"
import { NodeNotifications } from "@effect-wechatpay/node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { tempDir, writeFile } from "./helpers.js"

const KEY = "TestOnlyApiV3Key0123456789abcdef"

const load = (env: ReadonlyArray<readonly [string, string]>) =>
  NodeNotifications.loadApiV3Key.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env))),
    Effect.either
  )

describe("the APIv3 key", () => {
  it.scoped("is read from WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE (a trailing line break is not part of it)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const fromValue = yield* load([["WECHATPAY_APIV3_KEY", KEY]])
      expect(fromValue._tag === "Right" && Redacted.value(fromValue.right)).toBe(KEY)
      const file = writeFile(dir, "apiv3.key", `${KEY}\n`)
      const fromFile = yield* load([["WECHATPAY_APIV3_KEY_FILE", file]])
      expect(fromFile._tag === "Right" && Redacted.value(fromFile.right)).toBe(KEY)
      // As a layer, the same.
      const key = yield* Effect.provide(
        ApiV3Key.ApiV3Key,
        NodeNotifications.layerApiV3KeyConfig.pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["WECHATPAY_APIV3_KEY", KEY]]))))
        )
      )
      expect(Redacted.value(key)).toBe(KEY)
    }))

  it.scoped("a wrong length, both variables, none, or an unreadable file is a config error naming the variable, never the key", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const short = KEY.slice(0, 31)
      const cases = [
        [[["WECHATPAY_APIV3_KEY", short]], "WECHATPAY_APIV3_KEY", "must be 32 bytes"],
        [[["WECHATPAY_APIV3_KEY", `${KEY}x`]], "WECHATPAY_APIV3_KEY", "got 33"],
        [[["WECHATPAY_APIV3_KEY_FILE", writeFile(dir, "short.key", short)]], "WECHATPAY_APIV3_KEY_FILE", "must be 32 bytes"],
        [[["WECHATPAY_APIV3_KEY", KEY], ["WECHATPAY_APIV3_KEY_FILE", "/x"]], "WECHATPAY_APIV3_KEY", "not both"],
        [[], "WECHATPAY_APIV3_KEY", "is not set"],
        [[["WECHATPAY_APIV3_KEY_FILE", `${dir}/missing.key`]], "WECHATPAY_APIV3_KEY_FILE", "ENOENT"]
      ] as const
      for (const [env, setting, issue] of cases) {
        const result = yield* load(env)
        expect(result._tag).toBe("Left")
        if (result._tag !== "Left") continue
        expect(result.left.setting.startsWith(setting)).toBe(true)
        expect(result.left.issue).toContain(issue)
        const text = `${result.left.message} ${JSON.stringify(result.left)}`
        expect(text).not.toContain(short)
      }
    }))

  it("core checks a key it is given", () => {
    expect(ApiV3Key.issue(Redacted.make(KEY))).toBe(undefined)
    expect(ApiV3Key.issue(Redacted.make(""))).toBe("is empty")
    // 32 characters but not 32 bytes: a non-ASCII character is more than one byte.
    expect(ApiV3Key.issue(Redacted.make(`${KEY.slice(0, 31)}é`))).toContain("got 33")
  })
})
