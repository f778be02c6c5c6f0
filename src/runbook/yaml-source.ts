import { readFileSync, statSync } from 'node:fs'
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  visit,
} from 'yaml'
import { type Diagnostics, SourceText } from './diagnostics.js'

/** Large enough for a 20,000-step runbook; small enough that a stray log file is refused at once. */
export const MAX_RUNBOOK_BYTES = 16 * 1024 * 1024
/** Runbooks are shallow; anything deeper is a mistake or an attack on the parser. */
export const MAX_NESTING = 64
/** Aliases are handy for shared `with` blocks; thousands of them are an alias bomb. */
export const MAX_ALIASES = 1000

export type PathSegment = string | number
export type Path = readonly PathSegment[]

/** A parsed YAML document: its plain value and a way back from a path to a source offset. */
export interface YamlValue {
  source: SourceText
  value: unknown
  /** Offset of the node at `path` (or of its key), or of the nearest ancestor that exists. */
  offsetOf(path: Path, part?: 'key' | 'value'): number
}

/** Reads a file for parsing, refusing what cannot be a runbook before the parser sees it. */
export function readSourceFile(
  file: string,
  displayName: string,
  diags: Diagnostics,
): SourceText | undefined {
  const empty = new SourceText(displayName, '')
  let size: number
  try {
    const stat = statSync(file)
    if (stat.isDirectory()) {
      diags.error(empty, 0, `${displayName} is a directory, not a runbook file`)
      return undefined
    }
    size = stat.size
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    diags.error(
      empty,
      0,
      code === 'ENOENT' ? `no such file: ${displayName}` : `cannot read ${displayName} (${code})`,
    )
    return undefined
  }
  if (size > MAX_RUNBOOK_BYTES) {
    const mb = (size / 1024 / 1024).toFixed(1)
    diags.error(empty, 0, `file is ${mb} MB; a runbook may be at most ${MAX_RUNBOOK_BYTES / 1024 / 1024} MB`)
    return undefined
  }
  const bytes = readFileSync(file)
  const nul = bytes.indexOf(0)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    diags.error(empty, 0, 'file is not UTF-8 text (is it a binary file?)')
    return undefined
  }
  const source = new SourceText(displayName, text)
  if (nul !== -1) {
    diags.error(source, text.indexOf('\0'), 'file contains a NUL byte: it is binary, not YAML')
    return undefined
  }
  return source
}

/** Parses one YAML document, reporting syntax errors, duplicate keys, alias bombs and deep nesting. */
export function parseYaml(source: SourceText, diags: Diagnostics): YamlValue | undefined {
  let documents: Document.Parsed[]
  try {
    documents = parseAllDocuments(source.text, {
      merge: true,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
    }) as Document.Parsed[]
  } catch (error) {
    if (error instanceof RangeError) {
      diags.error(source, 0, `YAML nesting is too deep to read (runbooks nest at most ${MAX_NESTING} levels)`)
      return undefined
    }
    throw error
  }
  if (!Array.isArray(documents)) documents = [documents]

  let failed = false
  for (const doc of documents) {
    for (const e of doc.errors) {
      failed = true
      diags.error(source, e.pos[0], `YAML: ${describeYamlError(e.code, e.message)}`)
    }
  }
  if (failed) return undefined

  const nonEmpty = documents.filter((d) => d.contents !== null)
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1] as Document.Parsed
    diags.error(
      source,
      second.range[0],
      `file holds ${nonEmpty.length} YAML documents; a runbook file holds exactly one`,
      'split the runbooks into separate files',
    )
    return undefined
  }
  const doc = nonEmpty[0]
  if (!doc) return { source, value: null, offsetOf: () => 0 }

  if (!checkShape(doc, source, diags)) return undefined

  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (error) {
    diags.error(source, firstAliasOffset(doc), `YAML aliases expand too far: ${(error as Error).message}`)
    return undefined
  }
  return { source, value, offsetOf: (path, part = 'value') => locate(doc, path, part) }
}

function describeYamlError(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear once in a mapping'
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')
}

/** Walks the tree without recursion or alias expansion: nesting depth and alias count. */
function checkShape(doc: Document.Parsed, source: SourceText, diags: Diagnostics): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }]
  let aliases = 0
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number }
    if (isAlias(node)) {
      aliases++
      if (aliases > MAX_ALIASES) {
        diags.error(
          source,
          node.range?.[0] ?? 0,
          `more than ${MAX_ALIASES} YAML aliases: refusing to expand them`,
        )
        return false
      }
      continue
    }
    if (!isCollection(node)) continue
    if (depth > MAX_NESTING) {
      diags.error(source, node.range?.[0] ?? 0, `nesting deeper than ${MAX_NESTING} levels`)
      return false
    }
    for (const item of node.items as unknown[]) {
      if (isMap(node)) {
        const pair = item as { key: unknown; value: unknown }
        stack.push({ node: pair.key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 })
      } else stack.push({ node: item, depth: depth + 1 })
    }
  }
  return true
}

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0
      return visit.BREAK
    },
  })
  return offset
}

function nodeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0]
}

/** Follows a value path through maps (including `<<` merges), sequences and aliases. */
function locate(doc: Document.Parsed, path: Path, part: 'key' | 'value'): number {
  let node: unknown = doc.contents
  let best = nodeStart(node) ?? 0
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]
    node = resolveAlias(doc, node)
    const isLast = i === path.length - 1
    if (isMap(node)) {
      const pair = findPair(doc, node, String(segment))
      if (!pair) return best
      if (isLast && part === 'key') return nodeStart(pair.key) ?? best
      node = pair.value
      best = nodeStart(pair.value) ?? nodeStart(pair.key) ?? best
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment]
      if (node === undefined) return best
      best = nodeStart(node) ?? best
    } else return best
  }
  return best
}

function resolveAlias(doc: Document.Parsed, node: unknown): unknown {
  let current = node
  for (let hops = 0; isAlias(current) && hops < 32; hops++) current = current.resolve(doc)
  return current
}

type Pair = { key: unknown; value: unknown }

function findPair(doc: Document.Parsed, map: { items: unknown[] }, key: string, depth = 0): Pair | undefined {
  const pairs = map.items as Pair[]
  const direct = pairs.find((p) => isScalar(p.key) && String(p.key.value) === key)
  if (direct || depth > 8) return direct
  for (const p of pairs) {
    // With merge keys on, yaml gives `<<` a symbol value; its source text is what identifies it.
    if (!(isScalar(p.key) && (p.key.value === '<<' || p.key.source === '<<'))) continue
    const sources = isSeq(p.value) ? p.value.items : [p.value]
    for (const s of sources) {
      const target = resolveAlias(doc, s)
      if (isMap(target)) {
        const found = findPair(doc, target, key, depth + 1)
        if (found) return found
      }
    }
  }
  return undefined
}
