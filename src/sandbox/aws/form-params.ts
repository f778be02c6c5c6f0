import { ServiceError } from './service-error.js'

/** A decoded query-protocol request: `Filter.1.Value.2=x` becomes `{ Filter: [{ Value: [, 'x'] }] }`, compacted. */
export type FormValue = string | FormValue[] | { [name: string]: FormValue }

interface Branch {
  children: Map<string, Branch>
  value?: string
}

const MAX_INDEX = 10_000
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])

const malformed = (message: string) => new ServiceError(400, 'MalformedQueryString', message)

/**
 * Numbered segments become lists in index order; awsQuery's `member` level is folded away, so
 * `AlarmNames.member.1` and EC2's `InstanceId.1` both come out as a list.
 */
export function decodeForm(body: string): Record<string, FormValue> {
  const root: Branch = { children: new Map() }
  for (const [key, value] of new URLSearchParams(body)) {
    let branch = root
    for (const segment of key.split('.')) {
      if (segment === '' || UNSAFE_SEGMENTS.has(segment)) throw malformed(`Bad parameter name '${key}'`)
      if (/^\d+$/.test(segment) && (Number(segment) < 1 || Number(segment) > MAX_INDEX))
        throw malformed(`List index out of range in '${key}'`)
      let next = branch.children.get(segment)
      if (!next) {
        next = { children: new Map() }
        branch.children.set(segment, next)
      }
      branch = next
    }
    branch.value = value
  }
  const decoded = toValue(root)
  return typeof decoded === 'object' && !Array.isArray(decoded) ? decoded : {}
}

function toValue(branch: Branch): FormValue {
  if (branch.children.size === 0) return branch.value ?? ''
  const keys = [...branch.children.keys()]
  if (keys.length === 1 && (keys[0] === 'member' || keys[0] === 'entry')) {
    const only = branch.children.get(keys[0])
    if (only) return toValue(only)
  }
  if (keys.every((key) => /^\d+$/.test(key))) {
    return keys
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => toValue(branch.children.get(key) as Branch))
  }
  const object: Record<string, FormValue> = {}
  for (const [key, child] of branch.children) object[key] = toValue(child)
  return object
}

/** Readers that accept what the SDK sends and reject anything else with the service's own wording. */
export function formString(params: Record<string, FormValue>, name: string): string | undefined {
  const value = params[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new ServiceError(400, 'InvalidParameterValue', `${name} must be a string`)
  return value
}

export function formList(params: Record<string, FormValue>, name: string): FormValue[] {
  const value = params[name]
  // awsQuery writes an empty list as `Name=`.
  if (value === undefined || value === '') return []
  if (!Array.isArray(value)) throw new ServiceError(400, 'InvalidParameterValue', `${name} must be a list`)
  return value
}

export function formStrings(params: Record<string, FormValue>, name: string): string[] {
  return formList(params, name).map((entry) => {
    if (typeof entry !== 'string')
      throw new ServiceError(400, 'InvalidParameterValue', `${name} must be a list of strings`)
    return entry
  })
}

export function formRecord(value: FormValue | undefined, name: string): Record<string, FormValue> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ServiceError(400, 'InvalidParameterValue', `${name} must be a structure`)
  return value
}

export function formBoolean(params: Record<string, FormValue>, name: string): boolean | undefined {
  const value = formString(params, name)
  if (value === undefined) return undefined
  if (value !== 'true' && value !== 'false')
    throw new ServiceError(400, 'InvalidParameterValue', `${name} must be true or false, not '${value}'`)
  return value === 'true'
}

export function formInteger(params: Record<string, FormValue>, name: string): number | undefined {
  const value = formString(params, name)
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value))
    throw new ServiceError(400, 'InvalidParameterValue', `${name} must be an integer, not '${value}'`)
  return Number(value)
}
