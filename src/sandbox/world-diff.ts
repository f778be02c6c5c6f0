// A structural diff of two plain-data trees: every path where they differ, as added, removed or changed.

export type Tree = null | boolean | number | string | Tree[] | { [key: string]: Tree }

export interface Difference {
  /** Segments from the root, e.g. ['sql', 'instances', 'SQL-AWS-1', 'databases', 'GiftCard']. */
  path: string[]
  kind: 'added' | 'removed' | 'changed'
  before?: Tree
  after?: Tree
}

const isObject = (value: Tree | undefined): value is { [key: string]: Tree } =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Objects are compared key by key and arrays index by index, down to the leaves. */
export function diffTrees(
  before: Tree | undefined,
  after: Tree | undefined,
  path: string[] = [],
): Difference[] {
  if (before === undefined && after === undefined) return []
  if (before === undefined) return [{ path, kind: 'added', after }]
  if (after === undefined) return [{ path, kind: 'removed', before }]
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
    return keys.flatMap((key) => diffTrees(before[key], after[key], [...path, key]))
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length)
    return Array.from({ length }, (_, i) => diffTrees(before[i], after[i], [...path, String(i)])).flat()
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, kind: 'changed', before, after }]
}

/** A JSON Pointer (RFC 6901): segments joined by '/', with '~' and '/' inside a segment escaped. */
export const pointer = (path: string[]): string =>
  `/${path.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`

/** Does `pattern` ('*' matches any one segment) match the path or one of its ancestors? */
export function covers(pattern: string[], path: string[]): boolean {
  return (
    pattern.length <= path.length && pattern.every((segment, i) => segment === '*' || segment === path[i])
  )
}

/** Plain data only: drops undefined fields and turns Dates into ISO text, so snapshots compare as JSON does. */
export const asTree = (value: unknown): Tree => JSON.parse(JSON.stringify(value ?? null)) as Tree
