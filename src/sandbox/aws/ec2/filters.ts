import { type FormValue, formRecord, formString, formStrings } from '../form-params.js'
import { ServiceError } from '../service-error.js'

export interface Filter {
  name: string
  values: string[]
}

/** `Filter.N.Name` / `Filter.N.Value.M`, as the SDK flattens `Filters`. */
export function readFilters(list: FormValue[]): Filter[] {
  return list.map((entry, i) => {
    const filter = formRecord(entry, `Filter.${i + 1}`)
    const name = formString(filter, 'Name')
    if (!name) throw new ServiceError(400, 'InvalidParameterValue', `Filter.${i + 1}.Name is required`)
    return { name, values: formStrings(filter, 'Value') }
  })
}

/** EC2 filter values take `*` and `?` wildcards. */
function wildcard(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.')
  return new RegExp(`^${escaped}$`)
}

/** Reads one resource's value (or values) for a filter name; undefined for a name it does not support. */
export type FilterField<T> = (resource: T, name: string) => string | string[] | undefined

/** Keeps the resources that pass every filter; a filter passes if any of its values matches. */
export function applyFilters<T>(
  resources: T[],
  filters: Filter[],
  field: FilterField<T>,
  known: string[],
): T[] {
  for (const { name } of filters)
    if (!known.includes(name) && !name.startsWith('tag:') && name !== 'tag-key' && name !== 'tag-value')
      throw new ServiceError(400, 'InvalidParameterValue', `The filter '${name}' is invalid`)
  return resources.filter((resource) =>
    filters.every((filter) => {
      const actual = field(resource, filter.name) ?? []
      const values = Array.isArray(actual) ? actual : [actual]
      return filter.values.some((pattern) => values.some((value) => wildcard(pattern).test(value)))
    }),
  )
}

/** The `tag:Key`, `tag-key` and `tag-value` filters every taggable resource shares. */
export function tagField(tags: Record<string, string>, name: string): string | string[] | undefined {
  if (name.startsWith('tag:')) return tags[name.slice(4)] ?? []
  if (name === 'tag-key') return Object.keys(tags)
  if (name === 'tag-value') return Object.values(tags)
  return undefined
}

export const tagSet = (tags: Record<string, string>) =>
  Object.entries(tags).map(([key, value]) => ({ key, value }))

/** `Tag.N.Key` / `Tag.N.Value`. */
export function readTags(list: FormValue[], at: string): Record<string, string> {
  const tags: Record<string, string> = {}
  list.forEach((entry, i) => {
    const tag = formRecord(entry, `${at}.${i + 1}`)
    const key = formString(tag, 'Key')
    if (!key) throw new ServiceError(400, 'InvalidParameterValue', `${at}.${i + 1}.Key is required`)
    tags[key] = formString(tag, 'Value') ?? ''
  })
  return tags
}
