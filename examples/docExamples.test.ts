/**
 * Every `@example` in the packages' doc comments compiles: each is extracted
 * from the sources, given to the TypeScript compiler as its own module (with
 * the repository's strict options), and must type-check without a diagnostic.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const packages = ["core", "node", "sandbox", "cli"] as const

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")
      ? [join(dir, entry.name)]
      : []
  )

interface Example {
  readonly source: string
  readonly line: number
  readonly code: string
}

// A fenced ```ts block inside a /** … */ comment, its " * " prefixes removed.
const examplesOf = (file: string): Array<Example> => {
  const text = readFileSync(file, "utf8")
  const out: Array<Example> = []
  const fence = /^\s*\* ```ts\s*\n([\s\S]*?)^\s*\* ```\s*$/gm
  for (const match of text.matchAll(fence)) {
    const line = text.slice(0, match.index).split("\n").length
    const code = match[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n")
    out.push({ source: relative(root, file), line, code })
  }
  return out
}

const examples = packages.flatMap((pkg) => sources(join(root, "packages", pkg, "src")).flatMap(examplesOf))

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  noEmit: true,
  types: ["node"],
  // The examples import the packages by name: resolved to their sources.
  paths: Object.fromEntries(packages.map((pkg) => [`@effect-wechatpay/${pkg}`, [`packages/${pkg}/src/index.ts`]])),
  baseUrl: root
}

describe("doc examples", () => {
  it("there are examples to check", () => {
    expect(examples.length).toBeGreaterThan(20)
  })

  it("every @example type-checks", () => {
    const virtual = new Map<string, string>()
    examples.forEach((example, index) => {
      const name = join(root, "examples", ".doc-examples", `${example.source.replace(/[/.]/g, "_")}_${index}.ts`)
      // `export {}`: each example is its own module, so names never clash.
      virtual.set(name, `${example.code}\nexport {}\n`)
    })
    const host = ts.createCompilerHost(options)
    const readFile = host.readFile.bind(host)
    const fileExists = host.fileExists.bind(host)
    host.readFile = (file) => virtual.get(file) ?? readFile(file)
    host.fileExists = (file) => virtual.has(file) || fileExists(file)
    const program = ts.createProgram([...virtual.keys()], options, host)
    const names = [...virtual.keys()]
    const failures = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && virtual.has(d.file.fileName))
      .map((d) => {
        const example = examples[names.indexOf(d.file!.fileName)]!
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
        return `${example.source}:${example.line + line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
      })
    expect(failures).toEqual([])
  }, 120_000)
})
