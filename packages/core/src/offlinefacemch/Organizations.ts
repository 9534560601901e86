/**
 * 查询机构 (a school): `GET /v3/offlinefacemch/organizations`, by id or by
 * name. A Chinese name is percent-encoded in the URL, and signed as sent.
 *
 * @example
 * ```ts
 * import { Organizations } from "@effect-wechatpay/core"
 *
 * const byName = Organizations.getOrganization({ organizationName: "某某实验小学" })
 * const byId = Organizations.getOrganization({ organizationId: "O1234567" })
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

/**
 * Exactly one of the two.
 *
 * @since 0.2.0
 * @category Models
 */
export type GetOrganizationParams =
  | { readonly organizationId: string; readonly organizationName?: undefined }
  | { readonly organizationName: string; readonly organizationId?: undefined }

/**
 * An organization. The sources mark no field required.
 *
 * @since 0.2.0
 * @category Models
 */
export class Organization extends Schema.Class<Organization>("Organization")({
  organizationId: optionalField(Schema.String, "organization_id"),
  organizationName: optionalField(Schema.String, "organization_name")
}) {}

const Name = Schema.String.pipe(
  Schema.pattern(/^[^\p{Cc}]{1,128}$/u, { message: () => "must be 1 to 128 characters without control characters" })
)

/**
 * `GET /v3/offlinefacemch/organizations?organization_id=…` or
 * `?organization_name=…`.
 *
 * Retry class: idempotent (a query).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Organizations } from "@effect-wechatpay/core"
 *
 * const id = Organizations.getOrganization({ organizationName: "某某实验小学" }).pipe(
 *   Effect.map((organization) => organization.organizationId)
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
    if (hasId === hasName) {
      return Effect.fail(
        new WechatPayInvalidInputError({
          operation: "getOrganization",
          field: "organizationId",
          issue: "give exactly one of organizationId and organizationName"
        })
      )
    }
    const [key, field, schema, value] = hasId
      ? ["organization_id", "organizationId", WechatPaySchema.Id, params.organizationId] as const
      : ["organization_name", "organizationName", Name, params.organizationName] as const
    const checked = Schema.decodeUnknownEither(schema)(value)
    if (Either.isLeft(checked)) return Effect.fail(invalid("getOrganization", checked.left, field))
    return getJson("getOrganization", ["v3", "offlinefacemch", "organizations"], [[key, checked.right]], Organization)
  })
