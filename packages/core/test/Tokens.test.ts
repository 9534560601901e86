/**
 * `Tokens.createToken`: the POST body in wire names, the retry class, the
 * answer decoded; every field checked before anything is sent.
 */
import { Tokens, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { recording } from "./recording.js"


const params: Tokens.TokenParams = {
  scene: "WEBSESSION",
  webInitData: { outUserId: "student-0001", organizationId: "O1234567" }
}

describe("createToken", () => {
  it.effect("POSTs scene and web_init_data in wire names, idempotent; decodes the token", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ token: "TOKEN-5-MINUTES" })
      const result = yield* Tokens.createToken(params).pipe(Effect.provide(layer))
      expect(result).toBeInstanceOf(Tokens.Token)
      expect(result.token).toBe("TOKEN-5-MINUTES")
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request).toMatchObject({ method: "POST", path: "/v3/offlinefacemch/tokens" })
      expect(request.query).toBeUndefined()
      expect(request.headers).toBeUndefined()
      expect(request.retry ?? "idempotent").toBe("idempotent")
      expect(request.body).toBe(
        `{"scene":"WEBSESSION","web_init_data":{"out_user_id":"student-0001","organization_id":"O1234567"}}`
      )
    }))

  it.effect("scene is an open string: any non-empty value is sent as given", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ token: "T" })
      yield* Tokens.createToken({ ...params, scene: "SOME_NEW_SCENE" }).pipe(Effect.provide(layer))
      expect(JSON.parse(requests[0]!.body ?? "")).toMatchObject({ scene: "SOME_NEW_SCENE" })
    }))

  it.effect("an answer without a token is a decode failure, not an empty token", () =>
    Effect.gen(function*() {
      const { layer } = recording({ something_else: 1 })
      const exit = yield* Effect.exit(Tokens.createToken(params).pipe(Effect.provide(layer)))
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.effect("bad input: an input error naming the field, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ token: "T" })
      const cases: ReadonlyArray<readonly [Tokens.TokenParams, string]> = [
        [{ ...params, scene: "" }, "scene"],
        [{ ...params, webInitData: { ...params.webInitData, outUserId: "" } }, "webInitData.outUserId"],
        [{ ...params, webInitData: { ...params.webInitData, outUserId: "a b" } }, "webInitData.outUserId"],
        [{ ...params, webInitData: { ...params.webInitData, organizationId: "" } }, "webInitData.organizationId"],
        [{ scene: "WEBSESSION" } as Tokens.TokenParams, "webInitData"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Tokens.createToken(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "createToken", field })
      }
      expect(requests).toHaveLength(0)
    }))
})
