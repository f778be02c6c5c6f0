import type * as z from 'zod/mini'
import type { Diagnostics } from './diagnostics.js'
import { didYouMean } from './suggest.js'
import type { Path, YamlValue } from './yaml-source.js'

type Issue = z.core.$ZodIssue
type AnySchema = z.core.$ZodType

/** Turns zod's issues into diagnostics placed at the offending key or value, with "did you mean". */
export function reportIssues(
  issues: readonly Issue[],
  schema: AnySchema,
  doc: YamlValue,
  diags: Diagnostics,
  base: Path = [],
): void {
  for (const issue of issues) reportIssue(issue, schema, doc, diags, base)
}

function reportIssue(issue: Issue, schema: AnySchema, doc: YamlValue, diags: Diagnostics, base: Path): void {
  const relative = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
  const path = [...base, ...relative]
  const value = valueAt(doc.value, path)
  const name = describePath(path)

  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(objectShapeAt(schema, relative) ?? {})
    for (const key of issue.keys) {
      diags.error(
        doc.source,
        doc.offsetOf([...path, key], 'key'),
        `unknown key '${key}'${name ? ` in ${name}` : ''}`,
        didYouMean(key, known) ?? (known.length > 0 ? `allowed here: ${known.join(', ')}` : undefined),
      )
    }
    return
  }

  if (issue.code === 'invalid_union') {
    const branches = issue.errors
    const deepest = branches
      .flat()
      .filter((i) => i.path.length > 0)
      .sort((a, b) => b.path.length - a.path.length)[0]
    if (deepest)
      return reportIssue({ ...deepest, path: [...issue.path, ...deepest.path] }, schema, doc, diags, base)
    const expected = [
      ...new Set(branches.flat().map((i) => ('expected' in i ? String(i.expected) : 'value'))),
    ]
    return diags.error(
      doc.source,
      doc.offsetOf(path),
      `${name || 'value'} must be ${expected.map(article).join(' or ')}, not ${describeValue(value)}`,
    )
  }

  // An absent key fails as a wrong type, or as a wrong value for a literal or enum (`version: 1`).
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && value === undefined) {
    const key = path[path.length - 1]
    const parent = path.slice(0, -1)
    const owner = describePath(parent)
    return diags.error(
      doc.source,
      doc.offsetOf(parent),
      `missing required key '${String(key)}'${owner ? ` in ${owner}` : ''}`,
    )
  }

  diags.error(doc.source, doc.offsetOf(path), `${name ? `${name}: ` : ''}${issueMessage(issue, value)}`)
}

function issueMessage(issue: Issue, value: unknown): string {
  const custom = issue.message && !/^(Invalid|Too (small|big)|Expected)/.test(issue.message)
  if (custom) return issue.message
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}, not ${describeValue(value)}`
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}, not ${describeValue(value)}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${describeValue(value)}`
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`
        : issue.origin === 'string'
          ? `must not be empty`
          : `must be at least ${issue.minimum}, not ${describeValue(value)}`
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${issue.maximum} items`
        : issue.origin === 'string'
          ? `is longer than ${issue.maximum} characters`
          : `must be at most ${issue.maximum}, not ${describeValue(value)}`
    case 'invalid_format':
      return `is not in the expected format (${issue.format})`
    default:
      return issue.message
  }
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    record: 'a mapping',
  }
  return words[type] ?? type
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null (an empty value)'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`
  return String(value)
}

/** "phases[2].steps[0].retry" — how the diagnostics name a place in the document. */
export function describePath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

export function valueAt(root: unknown, path: Path): unknown {
  let current = root
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[segment as string]
  }
  return current
}

type Def = {
  type: string
  shape?: Record<string, AnySchema>
  element?: AnySchema
  valueType?: AnySchema
  innerType?: AnySchema
  options?: AnySchema[]
  in?: AnySchema
}

const defOf = (schema: AnySchema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

function unwrap(schema: AnySchema): AnySchema {
  let current = schema
  for (let i = 0; i < 16; i++) {
    const def = defOf(current)
    if (def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else if (def.type === 'union' && def.options) {
      current = def.options.find((o) => defOf(unwrap(o)).type === 'object') ?? (def.options[0] as AnySchema)
    } else return current
  }
  return current
}

/** The keys an object schema accepts at `path` inside `schema`, for "did you mean". */
export function objectShapeAt(schema: AnySchema, path: Path): Record<string, AnySchema> | undefined {
  let current = unwrap(schema)
  for (const segment of path) {
    const def = defOf(current)
    if (def.type === 'object' && def.shape && typeof segment === 'string' && def.shape[segment])
      current = def.shape[segment]
    else if (def.type === 'array' && def.element) current = def.element
    else if (def.type === 'record' && def.valueType) current = def.valueType
    else return undefined
    current = unwrap(current)
  }
  const def = defOf(current)
  return def.type === 'object' ? def.shape : undefined
}
