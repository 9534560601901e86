/**
 * The primitives every model of the product is built from: WeChat Pay's time
 * format, open enums (a value WeChat Pay adds later is kept, typed as unknown),
 * identifiers, and amounts.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WechatPaySchema } from "@effect-wechatpay/core"
 *
 * const ContractState = WechatPaySchema.OpenEnum("ContractState", ["NOT_CONTRACTED", "CONTRACTED", "TERMINATED"])
 * type ContractState = typeof ContractState.Type
 *
 * const state: ContractState = Schema.decodeUnknownSync(ContractState)("SUSPENDED") // kept, branded unknown
 * const time = Schema.decodeUnknownSync(WechatPaySchema.Time)("2024-03-01T10:00:00+08:00")
 * ```
 *
 * @since 0.2.0
 */
import { type Brand, ParseResult, Schema } from "effect"
import { formatTime, parseTime } from "./internal/time.js"

/**
 * An RFC 3339 time as WeChat Pay writes it (`2024-03-01T10:00:00+08:00`),
 * decoded to a `DateTime.Zoned` that keeps the offset, and encoded back in the
 * same form: seconds, milliseconds only when non-zero, the `±HH:MM` offset.
 * Every year from 0000 to 9999 is exact; offsets beyond ±23:59 are rejected.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Time = Schema.transformOrFail(Schema.String, Schema.DateTimeZonedFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const time = parseTime(text)
    return time === undefined
      ? ParseResult.fail(
        new ParseResult.Type(ast, text, "expected a valid RFC 3339 time such as 2024-03-01T10:00:00+08:00")
      )
      : ParseResult.succeed(time)
  },
  encode: (dateTime) => ParseResult.succeed(formatTime(dateTime))
}).annotations({ identifier: "WechatPayTime" })

/**
 * The type of an open enum: one of the documented values, or a value WeChat Pay
 * added later, kept as sent and branded so that a `switch` must handle it and a
 * plain string cannot pass for it.
 *
 * @since 0.2.0
 * @category Models
 */
export type OpenEnum<Known extends string, Name extends string> = Known | (string & Brand.Brand<Name>)

/**
 * An open enum: decodes any string; the documented values as literals, any
 * other as `string & Brand<name>`. Encodes back as sent.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const OpenEnum = <const Known extends readonly [string, ...Array<string>], const Name extends string>(
  name: Name,
  known: Known
) =>
  Schema.Union(
    Schema.Literal(...known),
    Schema.String.pipe(Schema.brand(`Unknown${name}` as `Unknown${Name}`))
  ).annotations({ identifier: name })

/**
 * A closed enum for values this library sends: only the documented literals.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const ClosedEnum = <const Known extends readonly [string, ...Array<string>]>(
  known: Known
) =>
  Schema.Literal(...known).annotations({
    message: () => `must be one of ${known.join(", ")}`
  })

const ID = /^[^\s\p{Cc}]{1,128}$/u

/**
 * An identifier WeChat Pay or the merchant issued (organization, user,
 * contract, merchant, app id): 1 to 128 characters, none a space or a control
 * character. Checked before anything is sent.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Id = Schema.String.pipe(
  Schema.pattern(ID, { message: () => "must be 1 to 128 characters without spaces or control characters" })
)

/**
 * A non-empty text field sent as is (a description, a class name).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Text = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

/**
 * An amount in fen (WeChat Pay's general convention: 1 CNY = 100 fen), a
 * positive safe integer.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Fen = Schema.Int.pipe(
  Schema.positive({ message: () => "must be a positive integer (fen)" }),
  Schema.lessThanOrEqualTo(Number.MAX_SAFE_INTEGER, { message: () => "is too large" })
)

/**
 * A wire object in which a field goes by two names across sources (`use_id`
 * and `user_id`): before `schema` decodes it, the alias is copied to the
 * canonical name when only the alias is present. Encoding writes the
 * canonical name.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WechatPaySchema } from "@effect-wechatpay/core"
 *
 * const User = WechatPaySchema.withAlias(
 *   Schema.Struct({ userId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("use_id")) }),
 *   { user_id: "use_id" }
 * )
 * Schema.decodeUnknownSync(User)({ user_id: "u1" }) // { userId: "u1" }
 * ```
 *
 * @since 0.2.0
 * @category Combinators
 */
export const withAlias = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  aliases: Readonly<Record<string, string>>
): Schema.Schema<A, I, R> => {
  const renamed = Schema.transform(
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    {
      strict: true,
      decode: (wire) => {
        let out: Record<string, unknown> | undefined
        for (const alias in aliases) {
          const canonical = aliases[alias]!
          if (alias in wire && !(canonical in wire)) {
            out ??= { ...wire }
            out[canonical] = wire[alias]
            delete out[alias]
          }
        }
        return out ?? wire
      },
      encode: (wire) => wire
    }
  )
  return Schema.compose(renamed, schema as unknown as Schema.Schema<A, Record<string, unknown>, R>, {
    strict: false
  }) as unknown as Schema.Schema<A, I, R>
}
