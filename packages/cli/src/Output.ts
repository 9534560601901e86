/**
 * How a listing is written: one encoder per format, and a sink that writes to
 * a Node `Writable` (stdout) with back-pressure.
 *
 * - `ndjson`: one line per item, exactly `JSON.stringify(FaceCollection.toWire(item))`
 *   (WeChat Pay's own field names and time strings).
 * - `csv`: a header row of the wire field names, then one row per item; RFC 4180
 *   (CRLF line ends, a field holding `"`, `,`, CR or LF is quoted, `"` doubled).
 *   A value a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
 *   `@`, tab or CR) is prefixed with `'` (OWASP's advice for CSV injection).
 * - `table`: aligned columns for people. Widths come from the header and the
 *   first page, and grow when a longer value arrives: nothing is held back.
 *   Control, escape and bidirectional characters of a value are shown as
 *   `\xNN` / `\uNNNN` (core's `WechatPayError.printable`), so a value cannot
 *   move the cursor, recolour or reorder the terminal, or break a row in two.
 *
 * @since 0.1.0
 */
import { FaceCollection, WechatPayError } from "@effect-wechatpay/core"
import { Chunk, Data, Effect, Sink, Stream } from "effect"
import type { Writable } from "node:stream"

/**
 * @since 0.1.0
 * @category Models
 */
export const formats = ["ndjson", "csv", "table"] as const

/**
 * @since 0.1.0
 * @category Models
 */
export type Format = (typeof formats)[number]

/**
 * Turns items into text, page by page. Stateful (a table's widths): make one per listing.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Encoder {
  /** The text for one page of items (header included before the first one). */
  readonly page: (items: ReadonlyArray<FaceCollection.FaceCollection>) => string
  /** What is still due at the end: the header of an empty listing (csv, table). */
  readonly end: () => string
}

const wireFields = [
  "collection_id",
  "use_id",
  "organization_id",
  "collection_state",
  "register_photo_upload_time",
  "confirm_time"
] as const

const ndjson = (): Encoder => ({
  page: (items) => {
    let text = ""
    for (const item of items) text += JSON.stringify(FaceCollection.toWire(item)) + "\n"
    return text
  },
  end: () => ""
})

/**
 * One RFC 4180 field: quoted when it holds a quote, a comma, CR or LF.
 *
 * @since 0.1.0
 * @category Encoding
 */
export const csvField = (value: string): string => /[",\r\n]/.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value

/**
 * A value a spreadsheet would not run: one starting with `=`, `+`, `-`, `@`,
 * tab or CR gets a leading `'`.
 *
 * @since 0.2.0
 * @category Encoding
 */
export const csvSafe = (value: string): string => /^[=+\-@\t\r]/.test(value) ? `'${value}` : value

const csvRow = (fields: ReadonlyArray<string>) => fields.map((field) => csvField(csvSafe(field))).join(",") + "\r\n"

const csv = (): Encoder => {
  let headerDone = false
  const header = () => {
    if (headerDone) return ""
    headerDone = true
    return csvRow(wireFields)
  }
  return {
    page: (items) => {
      let text = header()
      for (const item of items) {
        const wire = FaceCollection.toWire(item)
        text += csvRow(wireFields.map((field) => wire[field] ?? ""))
      }
      return text
    },
    end: header
  }
}

// The organization is the one asked for on the command line: the table leaves it out.
const tableColumns = [
  ["COLLECTION ID", "collection_id"],
  ["USER ID", "use_id"],
  ["STATE", "collection_state"],
  ["UPLOADED (UTC+8)", "register_photo_upload_time"],
  ["CONFIRMED (UTC+8)", "confirm_time"]
] as const

const BEIJING_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?\+08:00$/

/**
 * A time for the table: `2024-03-01 10:00:00` when it is in Beijing time (+08:00,
 * as WeChat Pay sends it), else the wire text unchanged.
 *
 * @since 0.1.0
 * @category Encoding
 */
export const tableTime = (wire: string): string => {
  const match = BEIJING_TIME.exec(wire)
  return match === null ? wire : `${match[1]} ${match[2]}`
}

/**
 * A value as a table cell: one line, nothing a terminal would act on, at most 128 characters.
 *
 * @since 0.2.0
 * @category Encoding
 */
export const tableCell = (value: string): string => WechatPayError.printable(value, 128)

const table = (): Encoder => {
  const widths: Array<number> = tableColumns.map(([title]) => title.length)
  let headerDone = false
  const row = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd() + "\n"
  const header = () => {
    if (headerDone) return ""
    headerDone = true
    return row(tableColumns.map(([title]) => title))
  }
  return {
    page: (items) => {
      const rows = items.map((item) => {
        const wire = FaceCollection.toWire(item)
        return tableColumns.map(([, field]) => {
          const value = wire[field]
          if (value === undefined) return "-"
          return tableCell(
            field === "register_photo_upload_time" || field === "confirm_time" ? tableTime(value) : value
          )
        })
      })
      for (const cells of rows) {
        cells.forEach((cell, i) => {
          widths[i] = Math.max(widths[i] ?? 0, cell.length)
        })
      }
      let text = header()
      for (const cells of rows) text += row(cells)
      return text
    },
    end: header
  }
}

/**
 * A fresh encoder for `format`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const encoder = (format: Format): Encoder => {
  switch (format) {
    case "ndjson":
      return ndjson()
    case "csv":
      return csv()
    case "table":
      return table()
  }
}

/**
 * Items to text, one string per page.
 *
 * @since 0.1.0
 * @category Encoding
 */
export const encode = (format: Format) =>
<E, R>(items: Stream.Stream<FaceCollection.FaceCollection, E, R>): Stream.Stream<string, E, R> =>
  Stream.suspend(() => {
    const enc = encoder(format)
    return items.pipe(
      Stream.mapChunks((chunk) => Chunk.of(enc.page(Chunk.toReadonlyArray(chunk)))),
      Stream.concat(Stream.sync(enc.end)),
      Stream.filter((text) => text.length > 0)
    )
  })

/**
 * Writing to the output failed. `EPIPE`: the reader went away (`… | head`).
 *
 * @since 0.1.0
 * @category Errors
 */
export class OutputError extends Data.TaggedError("OutputError")<{
  readonly code: string
  readonly message: string
}> {}

const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "EIO"

// A write error (EPIPE when the reader went away) can arrive after the write that
// caused it returned: one listener for the writable's life keeps it from being
// an uncaught exception, and remembers it for the next write.
const lastErrors = new WeakMap<Writable, string>()
const watch = (writable: Writable) => {
  if (lastErrors.has(writable)) return
  lastErrors.set(writable, "")
  writable.on("error", (error: unknown) => lastErrors.set(writable, errorCode(error)))
}

const outputError = (code: string) =>
  new OutputError({
    code,
    message: code === "EPIPE" ? "the output was closed by its reader" : `cannot write the output (${code})`
  })

/**
 * Writes each string to `writable` and waits for `drain` whenever the
 * writable's buffer is full, so a slow reader slows the listing down instead of
 * the process buffering the whole list. Does not end the writable (stdout stays open).
 *
 * @since 0.1.0
 * @category Sinks
 */
export const toWritable = (
  writable: Writable,
  hooks: { readonly beforeWrite?: () => void; readonly afterWrite?: () => void } = {}
): Sink.Sink<void, string, never, OutputError> =>
  Sink.forEach((text: string) =>
    Effect.async<void, OutputError>((resume) => {
      watch(writable)
      const failed = lastErrors.get(writable)
      if (failed !== undefined && failed !== "") return resume(Effect.fail(outputError(failed)))
      if (writable.destroyed || writable.writableEnded) return resume(Effect.fail(outputError("EPIPE")))
      let done = false
      const finish = (effect: Effect.Effect<void, OutputError>) => {
        if (done) return
        done = true
        writable.removeListener("error", onError)
        writable.removeListener("drain", onDrain)
        resume(effect)
      }
      const onError = (error: unknown) => finish(Effect.fail(outputError(errorCode(error))))
      const onDrain = () => finish(Effect.void)
      writable.on("error", onError)
      hooks.beforeWrite?.()
      const ok = writable.write(text)
      hooks.afterWrite?.()
      if (ok) finish(Effect.void)
      else writable.once("drain", onDrain)
      return Effect.sync(() => {
        writable.removeListener("error", onError)
        writable.removeListener("drain", onDrain)
      })
    })
  )

/**
 * Resolves once everything written so far to `writable` has been handed to the
 * system (or the writable failed): call before exiting.
 *
 * @since 0.1.0
 * @category Sinks
 */
export const flush = (writable: Writable): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (writable.destroyed || writable.writableEnded || writable.writableLength === 0) {
      resume(Effect.void)
      return
    }
    writable.write("", () => resume(Effect.void))
  })
