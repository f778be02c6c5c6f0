import jsYaml from 'js-yaml'
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml'
import { type Diagnostics, SourceText } from './diagnostics.js'
import { describeInputProblem, type InputProblem, megabytes, readInputFile } from './input-file.js'

/** Large enough for a 20,000-step runbook; small enough that a stray log file is refused at once. */
export const MAX_RUNBOOK_BYTES = 16 * 1024 * 1024
/** Runbooks are shallow; anything deeper is a mistake or an attack on the parser. */
export const MAX_NESTING = 64
/** Aliases are handy for shared `with` blocks; thousands of them are an alias bomb. */
export const MAX_ALIASES = 1000

const tooDeep = `YAML nests deeper than ${MAX_NESTING} levels: refusing to read it`

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
  const read = readInputFile(file, MAX_RUNBOOK_BYTES)
  if (!('bytes' in read)) {
    diags.error(empty, 0, runbookProblem(read, displayName))
    return undefined
  }
  const bytes = read.bytes
  const nul = bytes.indexOf(0)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    const { byte, before } = firstInvalidUtf8(bytes)
    diags.error(
      new SourceText(displayName, before),
      before.length,
      `file is not UTF-8 text: byte 0x${(bytes[byte] ?? 0).toString(16).padStart(2, '0')} (is it a binary file?)`,
      'runbooks are UTF-8; re-save the file as UTF-8',
    )
    return undefined
  }
  const source = new SourceText(displayName, text)
  if (nul !== -1) {
    diags.error(source, text.indexOf('\0'), 'file contains a NUL byte: it is binary, not YAML')
    return undefined
  }
  return source
}

function runbookProblem(p: InputProblem, displayName: string): string {
  if (p.problem === 'directory') return `${displayName} is a directory, not a runbook file`
  if (p.problem === 'too-large')
    return `file is ${megabytes(p.size)} MB; a runbook may be at most ${MAX_RUNBOOK_BYTES / 1024 / 1024} MB`
  return describeInputProblem(p, displayName, MAX_RUNBOOK_BYTES)
}

/** The offset of the first byte that is not UTF-8, and the text before it (by bisection). */
function firstInvalidUtf8(bytes: Uint8Array): { byte: number; before: string } {
  // Streaming, a prefix that ends inside a character is still valid; the BOM is kept to count bytes.
  const decode = (length: number) =>
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, length), {
      stream: true,
    })
  let low = 0
  let high = bytes.length
  while (low < high) {
    const mid = (low + high + 1) >> 1
    try {
      decode(mid)
      low = mid
    } catch {
      high = mid - 1
    }
  }
  const before = decode(low)
  return { byte: Buffer.byteLength(before), before: before.replace(/^\uFEFF/, '') }
}

/** Parses one YAML document, reporting syntax errors, duplicate keys, alias bombs and deep nesting. */
/**
 * Parses one YAML document. Most runbooks take the quick path: js-yaml reads them in a tenth of
 * the time and memory, and source positions are worked out only if a diagnostic needs one. Anything
 * unusual — an error, aliases, deep nesting, several documents — takes the thorough path, whose
 * parser reports every YAML problem with its position and guards against alias bombs.
 */
export function parseYaml(source: SourceText, diags: Diagnostics): YamlValue | undefined {
  return parseQuickly(source) ?? parseThoroughly(source, diags)
}

/** An alias (`*name`) or a merge key where a token can start; inside a string it only costs the thorough path. */
const MAYBE_ALIAS_OR_MERGE = /(?:^|[\s[{,:-])\*[^\s,\]}]|<</m

function parseQuickly(source: SourceText): YamlValue | undefined {
  if (MAYBE_ALIAS_OR_MERGE.test(source.text)) return undefined
  let value: unknown
  try {
    value = jsYaml.load(source.text, { schema: jsYaml.CORE_SCHEMA, json: false })
  } catch {
    return undefined
  }
  if (depthExceeds(value, MAX_NESTING)) return undefined
  let locate: YamlValue['offsetOf'] | undefined
  return {
    source,
    value: value ?? null,
    offsetOf: (path, part = 'value') => {
      locate ??= locator(source)
      return locate(path, part)
    },
  }
}

/** Positions for diagnostics, from a full parse made only when the first one is needed. */
function locator(source: SourceText): YamlValue['offsetOf'] {
  const doc = parseDocument(source.text, { merge: true, uniqueKeys: false, resolveKnownTags: false })
  return (path, part = 'value') => locate(doc as Document.Parsed, path, part)
}

function depthExceeds(root: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 1 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number }
    if (value === null || typeof value !== 'object') continue
    if (depth > limit) return true
    for (const item of Object.values(value)) stack.push({ value: item, depth: depth + 1 })
  }
  return false
}

function parseThoroughly(source: SourceText, diags: Diagnostics): YamlValue | undefined {
  let documents: Document.Parsed[]
  try {
    documents = parseAllDocuments(source.text, {
      merge: true,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
      // !!binary, !!set, !!timestamp... would become objects no runbook field accepts: keep them as text.
      resolveKnownTags: false,
    }) as Document.Parsed[]
  } catch (error) {
    if (error instanceof RangeError) {
      diags.error(source, 0, tooDeep)
      return undefined
    }
    throw error
  }
  if (!Array.isArray(documents)) documents = [documents]

  let failed = false
  for (const doc of documents) {
    const errors = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])
    if (errors.length === 0) continue
    failed = true
    // A nest past the limit is the problem to report (at its first node beyond the limit), whatever
    // else the parser said about it: it may have run out of stack there.
    if (!checkShape(doc, source, diags)) continue
    const exhausted = errors.find((e) => e.code === 'RESOURCE_EXHAUSTION')
    if (exhausted) {
      diags.error(source, exhausted.pos[0], tooDeep)
      continue
    }
    // After its first syntax error the parser resynchronises as best it can: what follows is noise.
    const first = errors.findIndex((e) => e.code !== 'DUPLICATE_KEY')
    for (const e of first === -1 ? errors : errors.slice(0, first + 1)) {
      const { offset, message, hint } = describeYamlError(doc, source.text, e)
      diags.error(source, offset, `YAML: ${message}`, hint)
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
    const message = (error as Error).message
    const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(message)?.[1]
    if (unresolved !== undefined)
      diags.error(
        source,
        aliasOffset(doc, unresolved),
        `YAML: alias *${unresolved} has no anchor &${unresolved} before it`,
      )
    else diags.error(source, aliasOffset(doc), `YAML aliases expand too far: ${message}`)
    return undefined
  }
  return { source, value, offsetOf: (path, part = 'value') => locate(doc, path, part) }
}

const INDENT_HINT =
  'check the indentation: keys of one mapping line up, and what is inside a key is indented more'

/** The parser's message, placed where the operator has to fix it: an unclosed quote or bracket at its start. */
function describeYamlError(
  doc: Document.Parsed,
  text: string,
  error: YAMLError,
): { offset: number; message: string; hint?: string } {
  const at = error.pos[0]
  if (error.code === 'DUPLICATE_KEY')
    return { offset: at, message: 'duplicate key: each key may appear once in a mapping' }
  const message = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '')
  const quote = /^Missing closing (["'])quote/.exec(message)?.[1]
  if (quote) {
    const start = startOfNodeEndingAt(doc, at, (node) => isScalar(node) && node.type !== 'PLAIN')
    return {
      offset: start ?? at,
      message: `this ${quote} is never closed`,
      hint: `a quoted string ends with ${quote}; its continuation lines are indented more than its key`,
    }
  }
  const flow = /^Flow (sequence|map)\b.* end with an? (\S+)$/.exec(message)
  if (flow) {
    const start = startOfNodeEndingAt(doc, at, (node) => isCollection(node) && node.flow === true)
    return {
      offset: start ?? at,
      message: `this ${flow[2] === ']' ? '[' : '{'} is never closed with ${flow[2]}`,
      hint: `a flow ${flow[1]} ends with ${flow[2]}; its continuation lines are indented more than its key`,
    }
  }
  // Indentation errors point at the start of the line; the operator's cursor belongs on its first word.
  let offset = at
  if (text[offset] === ' ' && (offset === 0 || text[offset - 1] === '\n'))
    while (text[offset] === ' ') offset++
  if (error.code === 'TAB_AS_INDENT') return { offset, message, hint: 'indent with spaces, not tabs' }
  if (error.code === 'BAD_INDENT' || /indicator|indent/i.test(message))
    return { offset, message, hint: INDENT_HINT }
  return { offset, message }
}

function startOfNodeEndingAt(
  doc: Document.Parsed,
  end: number,
  accept: (node: Node) => boolean,
): number | undefined {
  let start: number | undefined
  visit(doc, {
    Node(_, node) {
      if (node.range?.[1] === end && accept(node)) start = node.range[0]
    },
  })
  return start
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
      diags.error(source, node.range?.[0] ?? 0, tooDeep)
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

/** Where the first alias (named `name`, if given) is written. */
function aliasOffset(doc: Document.Parsed, name?: string): number {
  let offset = 0
  visit(doc, {
    Alias(_, node) {
      if (name !== undefined && node.source !== name) return
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
