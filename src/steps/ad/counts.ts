import { SwitchyardError } from '../../errors.js'
import type { Directory } from './ldap.js'
import { CLASS_FILTERS } from './sync.js'

const PAGE_SIZE = 500
const NO_SUCH_OBJECT = 32
const DEFAULT_SAMPLE = 10

export interface CountSpec {
  base: string
  class?: string
  filter?: string
  tolerance?: number | string
  sample?: number
}

export interface CountResult {
  base: string
  filter: string
  source: number
  target: number
  missing_sample: string[]
}

export const filterOf = (spec: CountSpec): string =>
  spec.filter ?? CLASS_FILTERS[spec.class ?? ''] ?? `(objectClass=${spec.class})`

/** How many objects the counts may differ by: a number, or a percentage of the source's count. */
export function allowedDifference(tolerance: number | string | undefined, sourceCount: number): number {
  if (tolerance === undefined) return 0
  if (typeof tolerance === 'number') return tolerance
  return Math.floor((sourceCount * Number.parseFloat(tolerance)) / 100)
}

// DNs compared as the DC would: case-insensitively, without spaces around separators.
const normalDn = (dn: string) => dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase()

/** Every DN below `base` that matches `filter`, read a page at a time; undefined when base does not exist. */
async function dnsBelow(directory: Directory, base: string, filter: string): Promise<string[] | undefined> {
  try {
    const { searchEntries } = await directory.client.search(base, {
      scope: 'sub',
      filter,
      attributes: ['1.1'],
      paged: { pageSize: PAGE_SIZE },
    })
    return searchEntries.map((e) => e.dn)
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_SUCH_OBJECT) return undefined
    throw new SwitchyardError(
      `${directory.label}: counting ${filter} under ${base} failed: ${error instanceof Error ? error.message : error}`,
    )
  }
}

/** Counts each spec on both DCs; returns the results and a description of every count out of tolerance. */
export async function compareCounts(
  source: Directory,
  target: Directory,
  specs: readonly CountSpec[],
): Promise<{ results: CountResult[]; mismatches: string[] }> {
  const results: CountResult[] = []
  const mismatches: string[] = []
  for (const spec of specs) {
    const filter = filterOf(spec)
    const [onSource, onTarget] = await Promise.all([
      dnsBelow(source, spec.base, filter),
      dnsBelow(target, spec.base, filter),
    ])
    if (onSource === undefined)
      throw new SwitchyardError(`${spec.base} does not exist on ${source.label}`, {
        hint: 'fix the base DN of this count',
      })
    const present = new Set((onTarget ?? []).map(normalDn))
    const missing = onSource.filter((dn) => !present.has(normalDn(dn))).sort((a, b) => a.localeCompare(b))
    const result: CountResult = {
      base: spec.base,
      filter,
      source: onSource.length,
      target: onTarget?.length ?? 0,
      missing_sample: missing.slice(0, spec.sample ?? DEFAULT_SAMPLE),
    }
    results.push(result)
    const allowed = allowedDifference(spec.tolerance, result.source)
    if (Math.abs(result.source - result.target) > allowed || (onTarget === undefined && result.source > 0)) {
      const sample = result.missing_sample.length
        ? `; missing on ${target.name}: ${result.missing_sample.join('; ')}${missing.length > result.missing_sample.length ? ` and ${missing.length - result.missing_sample.length} more` : ''}`
        : ''
      mismatches.push(
        `${spec.base} ${filter}: ${source.name} has ${result.source}, ${target.name} has ${onTarget === undefined ? 'no such base' : result.target} (tolerance ${spec.tolerance ?? 0})${sample}`,
      )
    }
  }
  return { results, mismatches }
}
