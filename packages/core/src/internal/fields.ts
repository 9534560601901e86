/**
 * Model fields: a domain name outside, WeChat Pay's wire name inside.
 *
 * @internal
 */
import { Schema } from "effect"

/** A required field under its wire name. */
export const field = <S extends Schema.Schema.Any>(schema: S, key: string) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

/** An optional field under its wire name. */
export const optionalField = <S extends Schema.Schema.All>(schema: S, key: string) =>
  Schema.optional(schema).pipe(Schema.fromKey(key))
