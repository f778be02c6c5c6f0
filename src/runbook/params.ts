import type { Diagnostics } from './diagnostics.js'
import type { ParamValue } from './model.js'
import type { ParamDocument, RunbookDocument } from './schema.js'
import { didYouMean } from './suggest.js'
import type { YamlValue } from './yaml-source.js'
import { describeValue } from './zod-issues.js'

type ParamType = NonNullable<ParamDocument['type']>

/** Where the operator's values came from: `--param k=v` flags and an optional `--params` file. */
export interface ParamInputs {
  flags?: readonly string[]
  file?: YamlValue
}

/** Checks each declaration: its default and allowed values fit its type, and agree. */
export function checkParamDeclarations(runbook: RunbookDocument, doc: YamlValue, diags: Diagnostics): void {
  for (const [name, spec] of Object.entries(runbook.params ?? {})) {
    const type = spec.type ?? 'string'
    const at = (key: string, i?: number) =>
      doc.offsetOf(i === undefined ? ['params', name, key] : ['params', name, key, i])
    if (spec.required && spec.default !== undefined)
      diags.error(
        doc.source,
        at('required', undefined),
        `param '${name}' is required and also has a default`,
        'a param with a default is never missing: drop required, or drop the default',
      )
    spec.allowed?.forEach((value, i) => {
      const problem = typeProblem(type === 'list' ? 'string' : type, value)
      if (problem) diags.error(doc.source, at('allowed', i), `param '${name}': allowed value ${problem}`)
    })
    if (spec.default !== undefined) {
      const problem = typeProblem(type, spec.default) ?? allowedProblem(spec, spec.default)
      if (problem) diags.error(doc.source, at('default'), `param '${name}': default ${problem}`)
    }
  }
}

/**
 * Resolves every param from flags, the params file and defaults (in that order of precedence).
 * `requireAll` reports required params nobody gave; validate without any params skips that.
 */
export function resolveParams(
  runbook: RunbookDocument,
  doc: YamlValue,
  inputs: ParamInputs,
  requireAll: boolean,
  diags: Diagnostics,
): Record<string, ParamValue> {
  const specs = runbook.params ?? {}
  const declared = Object.keys(specs)
  const values: Record<string, ParamValue> = {}

  for (const [name, spec] of Object.entries(specs))
    if (spec.default !== undefined) values[name] = spec.default

  const file = inputs.file
  if (file && file.value !== null && file.value !== undefined) {
    if (typeof file.value !== 'object' || Array.isArray(file.value)) {
      diags.error(
        file.source,
        0,
        `a params file is a mapping of param names to values, not ${describeValue(file.value)}`,
      )
    } else {
      for (const [name, value] of Object.entries(file.value)) {
        const spec = own(specs, name)
        const at = file.offsetOf([name], 'key')
        if (!spec) {
          diags.error(
            file.source,
            at,
            `unknown param '${name}'`,
            didYouMean(name, declared) ?? declaredHint(declared),
          )
          continue
        }
        const problem = typeProblem(spec.type ?? 'string', value) ?? allowedProblem(spec, value)
        if (problem) diags.error(file.source, file.offsetOf([name]), `param '${name}': ${problem}`)
        else values[name] = value as ParamValue
      }
    }
  }

  for (const flag of inputs.flags ?? []) {
    const equals = flag.indexOf('=')
    if (equals <= 0) {
      diags.flagError(
        `--param ${flag}`,
        'expected NAME=VALUE',
        `for example --param ${declared[0] ?? 'zone'}=value`,
      )
      continue
    }
    const name = flag.slice(0, equals)
    const spec = own(specs, name)
    const where = `--param ${name}`
    if (!spec) {
      diags.flagError(where, `unknown param '${name}'`, didYouMean(name, declared) ?? declaredHint(declared))
      continue
    }
    const parsed = coerceFlag(spec.type ?? 'string', flag.slice(equals + 1))
    const problem = 'problem' in parsed ? parsed.problem : allowedProblem(spec, parsed.value)
    if (problem) diags.flagError(where, problem)
    else if ('value' in parsed) values[name] = parsed.value
  }

  if (requireAll) {
    for (const [name, spec] of Object.entries(specs)) {
      if (!spec.required || Object.hasOwn(values, name)) continue
      diags.error(
        doc.source,
        doc.offsetOf(['params', name], 'key'),
        `param '${name}' is required and has no value${spec.description ? ` (${spec.description})` : ''}`,
        `pass --param ${name}=VALUE or give it in a --params file`,
      )
    }
  }
  return values
}

/** Params that are required and were not given: validate lists them instead of failing. */
export function missingRequired(runbook: RunbookDocument, values: Record<string, ParamValue>): string[] {
  return Object.entries(runbook.params ?? {})
    .filter(([name, spec]) => spec.required && !Object.hasOwn(values, name))
    .map(([name]) => name)
}

/** A declared param by name; `constructor` or `toString` are not declared just because objects have them. */
function own<T>(record: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined
}

function declaredHint(declared: string[]): string {
  return declared.length > 0
    ? `this runbook's params: ${declared.join(', ')}`
    : 'this runbook declares no params'
}

function coerceFlag(type: ParamType, raw: string): { value: ParamValue } | { problem: string } {
  switch (type) {
    case 'string':
      return { value: raw }
    case 'number': {
      const value = Number(raw)
      return raw.trim() !== '' && Number.isFinite(value)
        ? { value }
        : { problem: `expected a number, not '${raw}'` }
    }
    case 'boolean':
      return raw === 'true' || raw === 'false'
        ? { value: raw === 'true' }
        : { problem: `expected true or false, not '${raw}'` }
    case 'list':
      return { value: raw === '' ? [] : raw.split(',').map((item) => item.trim()) }
  }
}

function typeProblem(type: ParamType, value: unknown): string | undefined {
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
  const ok =
    type === 'list'
      ? Array.isArray(value) && value.every(scalar)
      : type === 'string'
        ? typeof value === 'string'
        : typeof value === type
  if (ok) return undefined
  const wanted = {
    string: 'a string',
    number: 'a number',
    boolean: 'true or false',
    list: 'a list of values',
  }[type]
  return `expected ${wanted}, not ${describeValue(value)}`
}

function allowedProblem(spec: ParamDocument, value: unknown): string | undefined {
  if (!spec.allowed) return undefined
  const items = Array.isArray(value) ? value : [value]
  const bad = items.find((item) => !spec.allowed?.includes(item as string | number | boolean))
  if (bad === undefined) return undefined
  return `${describeValue(bad)} is not allowed (allowed: ${spec.allowed.map((a) => JSON.stringify(a)).join(', ')})`
}
