/**
 * 查询机构信息: look up an organization (a school) of the K12 offline
 * face-payment product, by its id or by its name
 * (`GET /v3/offlinefacemch/organizations`). A Chinese name is sent
 * percent-encoded in the URL (UTF-8), and the URL is signed exactly as sent.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Organizations } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   const school = yield* Organizations.getOrganization({ organizationName: "某某实验小学" })
 *   if (school.organizationId !== undefined) {
 *     const again = yield* Organizations.getOrganization({ organizationId: school.organizationId })
 *     yield* Effect.log(again.organizationName)
 *   }
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
import { getJson } from "../internal/endpoint.js"
import { optionalField } from "../internal/fields.js"
import { invalid } from "../internal/input.js"
import type { WechatPayClient } from "../WechatPayClient.js"
import { WechatPayInvalidInputError, type WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

const OPERATION = "getOrganization"

/**
 * What to look the organization up by: exactly one of its id (issued by
 * WeChat Pay, it starts with `O`) and its name. Giving both, or neither, is an
 * input error and nothing is sent.
 *
 * @since 0.2.0
 * @category Models
 */
export type GetOrganizationParams =
  | { readonly organizationId: string; readonly organizationName?: undefined }
  | { readonly organizationName: string; readonly organizationId?: undefined }

/**
 * An organization (机构), as WeChat Pay answers it. The sources mark no field
 * required, so both are optional; other fields are ignored.
 *
 * @since 0.2.0
 * @category Models
 */
export class Organization extends Schema.Class<Organization>("Organization")({
  /** `organization_id`. */
  organizationId: optionalField(Schema.String, "organization_id"),
  /** `organization_name`, as sent. */
  organizationName: optionalField(Schema.String, "organization_name")
}) {}

/**
 * An organization name as a query value: 1 to 128 characters, no control
 * characters (spaces and any script allowed). The sources give no limit; 128
 * is this library's bound.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const OrganizationName = Schema.String.pipe(
  Schema.pattern(/^[^\p{Cc}]{1,128}$/u, { message: () => "must be 1 to 128 characters without control characters" })
)

const exactlyOne = (field: string, issue: string) =>
  Effect.fail(new WechatPayInvalidInputError({ operation: OPERATION, field, issue }))

/**
 * `GET /v3/offlinefacemch/organizations?organization_id=…`, or
 * `?organization_name=…`. The value is checked before anything is sent
 * (`WechatPaySchema.Id` for the id, `OrganizationName` for the name); the
 * client percent-encodes it once (`某某实验小学` is sent as
 * `%E6%9F%90%E6%9F%90…`) and signs those bytes.
 *
 * Retry class: idempotent (a query): retried on 429, 5xx and transport
 * errors under the `RetryPolicy`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Organizations } from "@effect-wechatpay/core"
 *
 * const id = Organizations.getOrganization({ organizationName: "某某实验小学" }).pipe(
 *   Effect.map((organization) => organization.organizationId)
 * )
 * const name = Organizations.getOrganization({ organizationId: "O1234567" }).pipe(
 *   Effect.map((organization) => organization.organizationName)
 * )
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getOrganization = (
  params: GetOrganizationParams
): Effect.Effect<Organization, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.suspend(() => {
    const hasId = params.organizationId !== undefined
    const hasName = params.organizationName !== undefined
    if (!hasId && !hasName) {
      return exactlyOne("organizationId", "give organizationId or organizationName")
    }
    if (hasId && hasName) {
      return exactlyOne("organizationName", "give organizationId or organizationName, not both")
    }
    const [key, field, schema, value] = hasId
      ? ["organization_id", "organizationId", WechatPaySchema.Id, params.organizationId] as const
      : ["organization_name", "organizationName", OrganizationName, params.organizationName] as const
    const checked = Schema.decodeUnknownEither(schema)(value)
    if (Either.isLeft(checked)) return Effect.fail(invalid(OPERATION, checked.left, field))
    return getJson(OPERATION, ["v3", "offlinefacemch", "organizations"], [[key, checked.right]], Organization)
  })
